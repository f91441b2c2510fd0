# Scale-out behind an existing load balancer (chapter 9, "Many machines"):
# N `backprop serve` replicas on loopback ports behind nginx (Debian's
# package: `apt-get install nginx wrk`) as the upstream balancer, loaded by
# wrk; throughput and latency percentiles for 1 and 2 replicas, against one
# replica without the proxy; then a rolling restart under load (each
# replica drained with SIGTERM and started again while wrk runs), counting
# the requests that failed. Standard library only.
#
#   python3 chapters/experiments/09-scale-out.py --backprop .build/release/backprop
#   python3 chapters/experiments/09-scale-out.py --backprop … --model mlp.ckpt --seconds 20
#
# Health: open-source nginx has no active health checks (`health_check` is
# nginx Plus), so the script waits for each replica's GET /healthz before
# it joins, and nginx's passive checks (max_fails, fail_timeout) plus
# `proxy_next_upstream` move a request that meets a refused or reset
# connection to the other replica. A draining replica answers /healthz with
# 503 and finishes what it has in flight (chapter 9, graceful shutdown);
# nginx's `proxy_next_upstream … http_503 non_idempotent` retries the
# requests it refuses on the other replica (POST is not retried without
# `non_idempotent`; a prediction is safe to repeat, a payment would not be).
# The tests never run it.
import argparse, json, os, re, signal, subprocess, sys, tempfile, threading, time, urllib.request

p = argparse.ArgumentParser()
p.add_argument('--backprop', required=True)
p.add_argument('--model', help='a classifier checkpoint (default: train a digits MLP, a few seconds)')
p.add_argument('--seconds', type=int, default=10, help='wrk duration per measurement')
p.add_argument('--connections', type=int, default=64)
p.add_argument('--replicas', default='1,2')
args = p.parse_args()
work = tempfile.mkdtemp(prefix='backprop-scale-out-')
BASE = 18700

if not args.model:
    args.model = os.path.join(work, 'mlp.ckpt')
    subprocess.run([args.backprop, 'train', 'mlp', '--dataset', 'digits', '--save', args.model],
                   check=True, stdout=subprocess.DEVNULL)

# one digits row, as a client sends it
ROW = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
       0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]
with open(os.path.join(work, 'post.lua'), 'w') as f:
    f.write('wrk.method = "POST"\nwrk.body = \'%s\'\nwrk.headers["Content-Type"] = "application/json"\n'
            % json.dumps({'inputs': [ROW]}))


def healthy(port, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen('http://127.0.0.1:%d/healthz' % port, timeout=1) as r:
                if r.status == 200:
                    return True
        except Exception:
            time.sleep(0.1)
    return False


def replica(i):
    port = BASE + 1 + i
    proc = subprocess.Popen([args.backprop, 'serve', '--model', args.model, '--port', str(port), '--access-log', 'off'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not healthy(port):
        sys.exit('replica on port %d did not become healthy' % port)
    return proc


def nginx(ports):
    conf = os.path.join(work, 'nginx.conf')
    servers = ''.join('    server 127.0.0.1:%d max_fails=1 fail_timeout=1s;\n' % p for p in ports)
    with open(conf, 'w') as f:
        f.write('''worker_processes 1;
pid %(w)s/nginx.pid;
error_log %(w)s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(w)s/body; proxy_temp_path %(w)s/proxy;
  fastcgi_temp_path %(w)s/fcgi; uwsgi_temp_path %(w)s/uwsgi; scgi_temp_path %(w)s/scgi;
  upstream backprop {
    least_conn;
%(servers)s    keepalive 64;
  }
  server {
    listen 127.0.0.1:%(port)d;
    location / {
      proxy_pass http://backprop;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 2;
    }
  }
}
''' % {'w': work, 'servers': servers, 'port': BASE})
    proc = subprocess.Popen(['nginx', '-p', work, '-c', conf, '-g', 'daemon off;'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc


def wrk(port, seconds):
    out = subprocess.run(['wrk', '-t2', '-c%d' % args.connections, '-d%ds' % seconds, '--latency',
                          '-s', os.path.join(work, 'post.lua'), 'http://127.0.0.1:%d/v1/predict' % port],
                         capture_output=True, text=True).stdout

    def ms(label):
        m = re.search(r'\s%s%%\s+([\d.]+)(us|ms|s)\b' % label, out)
        if not m:
            return None
        v = float(m.group(1))
        return v / 1000 if m.group(2) == 'us' else v * 1000 if m.group(2) == 's' else v
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    total = int(re.search(r'(\d+) requests in', out).group(1))
    bad = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    errors = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', out)
    failed = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return {'rps': round(rps), 'p50_ms': ms('50'), 'p99_ms': ms('99'), 'requests': total, 'failed': failed}


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


rows = []
try:
    r = replica(0)
    rows.append(('1 replica, direct', wrk(BASE + 1, args.seconds)))
    stop(r)
    for n in [int(x) for x in args.replicas.split(',')]:
        procs = [replica(i) for i in range(n)]
        proxy = nginx([BASE + 1 + i for i in range(n)])
        rows.append(('%d replica%s behind nginx' % (n, '' if n == 1 else 's'), wrk(BASE, args.seconds)))
        if n >= 2:
            # a rolling restart under load: drain and restart each replica in turn while wrk runs
            result = {}
            t = threading.Thread(target=lambda: result.update(wrk(BASE, args.seconds)))
            t.start()
            time.sleep(1)
            for i in range(n):
                stop(procs[i])
                procs[i] = replica(i)
                time.sleep(2)  # past fail_timeout, so nginx sends to it again before the next one drains
            t.join()
            rows.append(('%d replicas, rolling restart under load' % n, result))
        stop(proxy)
        for proc in procs:
            stop(proc)
finally:
    subprocess.run(['pkill', '-f', 'nginx -p ' + work], stderr=subprocess.DEVNULL)

print('| setup | requests/s | p50 | p99 | requests | failed |')
print('|---|---|---|---|---|---|')
for name, r in rows:
    print('| %s | %s | %.2f ms | %.2f ms | %d | %d |' % (name, f"{r['rps']:,}", r['p50_ms'] or 0, r['p99_ms'] or 0,
                                                         r['requests'], r['failed']))
