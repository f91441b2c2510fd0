# Slow, idle and abandoning clients against `backprop serve` (chapter 9,
# "Ten thousand connections, a few threads"): the measurements behind the
# chapter's before-and-after table. Standard library only; it starts the
# server itself (a built `backprop` binary, given with --backprop) on
# loopback ports, once per scenario, and stops it after.
#
#   python3 chapters/experiments/09-slow-clients.py --backprop .build/release/backprop
#   python3 chapters/experiments/09-slow-clients.py --backprop … --model lstm.ckpt   (adds the abandoned generations)
#
# Scenarios (each prints one line):
#   trickle  20 clients send a request head a byte every 0.2 s against
#            --max-connections 16; then 10 ordinary predict requests: statuses, seconds
#   idle     8 keep-alive connections, each idle after one request, against
#            --max-connections 8; a ninth client's status
#   flood    100 clients at once against --max-connections 8 with 8 busy
#            heads: how many got an answer (503) and how many were closed unanswered
#   idle1024 1,024 idle connections: the server's threads and resident memory
#   emfile   `ulimit -n 64` and --max-connections 1000, then 70 idle clients:
#            whether the server starts, and its CPU use over 2 s
#   abandon  (with --model) 40 non-streamed generations of 1,000 tokens whose
#            clients leave after 0.2 s: the server's CPU seconds over the next 15 s
# The tests never run it.
import argparse, json, os, socket, subprocess, sys, threading, time

p = argparse.ArgumentParser()
p.add_argument('--backprop', required=True)
p.add_argument('--model', help='a text-model checkpoint for the abandon scenario')
p.add_argument('--only', help='comma-separated scenarios')
args = p.parse_args()
PORT = [18600]


def start(extra, ulimit=None, model=None):
    PORT[0] += 1
    cmd = [args.backprop, 'serve', '--port', str(PORT[0]), '--access-log', 'off'] + (['--model', model] if model else ['--demo']) + extra
    if ulimit:
        cmd = ['sh', '-c', 'ulimit -n %d && exec "$@"' % ulimit, 'sh'] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if 'serving' in line:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc
    proc.wait()
    return proc  # it exited: the caller reads returncode


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def request(raw, timeout=5.0):
    """Sends raw bytes on a fresh connection; the status, or 'closed'/'timeout'."""
    s = socket.create_connection(('127.0.0.1', PORT[0]), timeout=timeout)
    try:
        s.sendall(raw)
        data = b''
        while b'\r\n' not in data:
            chunk = s.recv(4096)
            if not chunk:
                return 'closed'
            data += chunk
        return int(data.split()[1])
    except socket.timeout:
        return 'timeout'
    except ConnectionResetError:
        return 'reset'
    finally:
        s.close()


def http(method, path, body=b''):
    head = '%s %s HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % (method, path, len(body))
    return head.encode() + body


PREDICT = http('POST', '/v1/predict', json.dumps({'inputs': [[0] * 64]}).encode())


def proc_stat(pid):
    status = open('/proc/%d/status' % pid).read()
    fields = dict(line.split(':', 1) for line in status.splitlines() if ':' in line)
    stat = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf('SC_CLK_TCK')
    return int(fields['Threads']), int(fields['VmRSS'].split()[0]) / 1024, cpu


def trickle():
    proc = start(['--max-connections', '16'])
    socks = []
    for _ in range(20):
        s = socket.create_connection(('127.0.0.1', PORT[0]))
        s.sendall(b'POST /v1/predict HTTP/1.1\r\nHost: a\r\n')
        socks.append(s)
    running = [True]

    def drip():
        while running[0]:
            for s in socks:
                try:
                    s.sendall(b'X')
                except OSError:
                    pass
            time.sleep(0.2)
    threading.Thread(target=drip, daemon=True).start()
    time.sleep(1.5)
    t = time.time()
    statuses = [request(PREDICT) for _ in range(10)]
    print('trickle: 20 trickling clients, --max-connections 16: 10 predict requests got', statuses, 'in %.2f s' % (time.time() - t))
    running[0] = False
    for s in socks:
        s.close()
    stop(proc)


def idle():
    proc = start(['--max-connections', '8'])
    keep = []
    for _ in range(8):
        s = socket.create_connection(('127.0.0.1', PORT[0]))
        s.sendall(b'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n')
        s.recv(4096)
        keep.append(s)
    time.sleep(0.2)
    print('idle: 8 idle keep-alive connections, --max-connections 8: a ninth client got', request(http('GET', '/healthz')))
    stop(proc)


def flood():
    proc = start(['--max-connections', '8', '--read-timeout', '30'])
    busy = []
    for _ in range(8):
        s = socket.create_connection(('127.0.0.1', PORT[0]))
        s.sendall(b'GET /healthz HTTP/1.1\r\nHost: a\r\n')
        busy.append(s)
    time.sleep(0.2)
    results = []
    lock = threading.Lock()

    def one():
        r = request(http('GET', '/healthz'))
        with lock:
            results.append(r)
    threads = [threading.Thread(target=one) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answered = sum(1 for r in results if r == 503)
    print('flood: 100 clients over --max-connections 8 (8 busy heads): %d answered 503, %d not answered (%s)'
          % (answered, 100 - answered, sorted(set(map(str, results)))))
    stop(proc)


def idle1024():
    proc = start(['--max-connections', '2048'])
    time.sleep(0.5)
    t0, r0, _ = proc_stat(proc.pid)
    socks = []
    for i in range(1024):
        s = socket.create_connection(('127.0.0.1', PORT[0]))
        s.sendall(b'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n')
        socks.append(s)
    for s in socks:
        s.recv(4096)
    time.sleep(0.5)
    t1, r1, _ = proc_stat(proc.pid)
    print('idle1024: threads %d → %d, RSS %.1f → %.1f MB with 1,024 idle keep-alive connections' % (t0, t1, r0, r1))
    for s in socks:
        s.close()
    stop(proc)


def emfile():
    proc = start(['--max-connections', '1000'], ulimit=64)
    if proc.poll() is not None:
        print('emfile: ulimit -n 64, --max-connections 1000: the server refuses to start (exit %d)' % proc.returncode)
        proc = start(['--max-connections', '16'], ulimit=64)
    socks = []
    for _ in range(70):
        try:
            s = socket.create_connection(('127.0.0.1', PORT[0]), timeout=2)
            socks.append(s)
        except OSError:
            pass
    time.sleep(0.5)
    _, _, c0 = proc_stat(proc.pid)
    time.sleep(2)
    _, _, c1 = proc_stat(proc.pid)
    status = request(http('GET', '/healthz'), timeout=3)
    print('emfile: 70 idle clients at ulimit -n 64: server CPU %.0f%% of a core over 2 s; a new client got %s' % ((c1 - c0) / 2 * 100, status))
    for s in socks:
        s.close()
    stop(proc)


def abandon():
    proc = start(['--max-connections', '256'], model=args.model)
    body = json.dumps({'prompt': 'the ', 'max_tokens': 1000, 'seed': 1}).encode()
    socks = []
    for _ in range(40):
        s = socket.create_connection(('127.0.0.1', PORT[0]))
        s.sendall(http('POST', '/v1/generate', body))
        socks.append(s)
    time.sleep(0.2)
    for s in socks:
        s.close()
    _, _, c0 = proc_stat(proc.pid)
    time.sleep(15)
    _, _, c1 = proc_stat(proc.pid)
    print('abandon: 40 abandoned generations of 1,000 tokens: %.2f CPU seconds in the 15 s after the clients left' % (c1 - c0))
    stop(proc)


scenarios = {'trickle': trickle, 'idle': idle, 'flood': flood, 'idle1024': idle1024, 'emfile': emfile, 'abandon': abandon}
chosen = args.only.split(',') if args.only else [k for k in scenarios if k != 'abandon' or args.model]
for name in chosen:
    scenarios[name]()
