# The initialisation sweep of chapters/07-transformer.md ("What the initialisation is worth"):
# the bias-free baby GPT in PyTorch (float32, 1 thread), our recipe (AdamW with
# betas (0.9, 0.99), weight decay 0.1 on matrices, warm-up 100 then cosine
# 1e-3 -> 1e-4, clipping 1.0, 2,000 steps of batch 12 x 64), loss on the whole
# validation split. Needs torch; not used by the tests. Example:
#   python3 chapters/experiments/07-init-sweep.py --std 0.08 --embstd 0.08 --seed 42
# With --split 90/5/5 the text is cut as `backprop train gpt` now cuts it (90%
# training, 5% validation, 5% test) and the run ends with one JSON line holding
# both losses, like `train gpt --json`. The book's default GPT (biases, sigma = 1/sqrt(C)
# = 0.0884 for every matrix, the residual projections scaled by 1/sqrt(2L)) is
#   python3 chapters/experiments/07-init-sweep.py --bias 1 --std 0.08839 --embstd 0.08839 --split 90/5/5 --seed 1
import torch, torch.nn as nn, torch.nn.functional as F, math, sys, time, argparse
p=argparse.ArgumentParser()
p.add_argument('--seed',type=int,default=1337); p.add_argument('--bias',type=int,default=0)
p.add_argument('--wd',type=float,default=0.1); p.add_argument('--wdemb',type=int,default=1)
p.add_argument('--b1',type=float,default=0.9); p.add_argument('--b2',type=float,default=0.99)
p.add_argument('--std',type=float,default=0.02); p.add_argument('--embstd',type=float,default=0.02)
p.add_argument('--projinit',default='scaled') # scaled|zero|same
p.add_argument('--wpestd',type=float,default=-1)
p.add_argument('--clip',type=float,default=1.0); p.add_argument('--eps',type=float,default=1e-8)
p.add_argument('--iters',type=int,default=2000); p.add_argument('--threads',type=int,default=1)
p.add_argument('--tag',default='')
p.add_argument('--fanin',type=float,default=0)
p.add_argument('--split',default='90/10')
a=p.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(a.seed)
text=open(__import__("os").path.join(__import__("os").path.dirname(__file__), "../../Sources/Datasets/tinyshakespeare.txt")).read()
chars=sorted(set(text)); stoi={c:i for i,c in enumerate(chars)}
data=torch.tensor([stoi[c] for c in text]); n=int(0.9*len(data)); tr,va=data[:n],data[n:]; te=None
if a.split=='90/5/5': n2=int(0.95*len(data)); va,te=data[n:n2],data[n2:]
V=len(chars); C=128; L=4; H=4; T=64; B=12; bias=bool(a.bias)
def batch(d,g=None):
    ix=torch.randint(len(d)-T-1,(B,),generator=g)
    return torch.stack([d[i:i+T] for i in ix]), torch.stack([d[i+1:i+T+1] for i in ix])
class LN(nn.Module):
    def __init__(s): super().__init__(); s.w=nn.Parameter(torch.ones(C)); s.b=nn.Parameter(torch.zeros(C)) if bias else None
    def forward(s,x): return F.layer_norm(x,(C,),s.w,s.b,1e-5)
class Blk(nn.Module):
    def __init__(s):
        super().__init__(); s.ln1=LN(); s.qkv=nn.Linear(C,3*C,bias=bias); s.proj=nn.Linear(C,C,bias=bias)
        s.ln2=LN(); s.fc=nn.Linear(C,4*C,bias=bias); s.fc2=nn.Linear(4*C,C,bias=bias)
    def forward(s,x):
        b,t,c=x.shape; q,k,v=s.qkv(s.ln1(x)).split(C,2)
        q,k,v=[z.view(b,t,H,c//H).transpose(1,2) for z in (q,k,v)]
        y=F.scaled_dot_product_attention(q,k,v,is_causal=True).transpose(1,2).reshape(b,t,c)
        x=x+s.proj(y); return x+s.fc2(F.gelu(s.fc(s.ln2(x))))
class GPT(nn.Module):
    def __init__(s):
        super().__init__(); s.wte=nn.Embedding(V,C); s.wpe=nn.Embedding(T,C); s.h=nn.ModuleList([Blk() for _ in range(L)]); s.lnf=LN()
        for n_,q in s.named_parameters():
            if q.dim()==2:
                isproj=n_.endswith('proj.weight') or n_.endswith('fc2.weight')
                if 'wte' in n_: std=a.embstd
                elif 'wpe' in n_: std=a.wpestd if a.wpestd>=0 else a.embstd
                elif isproj: std={'scaled':a.std/math.sqrt(2*L),'zero':0.0,'same':a.std}[a.projinit]
                else: std=a.std
                if a.fanin>0 and 'wte' not in n_ and 'wpe' not in n_: std=a.fanin/math.sqrt(q.shape[1])/(math.sqrt(2*L) if isproj else 1)
                if std==0: nn.init.zeros_(q)
                else: nn.init.normal_(q,0,std)
            elif n_.endswith('.b') or n_.endswith('bias'): nn.init.zeros_(q)
    def forward(s,x,y):
        h=s.wte(x)+s.wpe(torch.arange(x.shape[1]))
        for b in s.h: h=b(h)
        return F.cross_entropy((s.lnf(h)@s.wte.weight.T).view(-1,V),y.view(-1))
m=GPT()
isdec=lambda n_,q: q.dim()>=2 and (a.wdemb or ('wte' not in n_ and 'wpe' not in n_))
dec=[q for n_,q in m.named_parameters() if isdec(n_,q)]; nod=[q for n_,q in m.named_parameters() if not isdec(n_,q)]
opt=torch.optim.AdamW([{'params':dec,'weight_decay':a.wd},{'params':nod,'weight_decay':0}],lr=1e-3,betas=(a.b1,a.b2),eps=a.eps)
def lr(it):
    if it<100: return 1e-3*(it+1)/100
    r=(it-100)/(a.iters-100); return 1e-4+0.5*(1+math.cos(math.pi*r))*(1e-3-1e-4)
@torch.no_grad()
def evfull(va=va):
    m.eval(); tot=0; cnt=0
    for i in range(0,len(va)-T-1,T*64):
        xs=[];ys=[]
        for j in range(i,min(i+T*64,len(va)-T-1),T): xs.append(va[j:j+T]); ys.append(va[j+1:j+T+1])
        x=torch.stack(xs); y=torch.stack(ys); tot+=m(x,y).item()*x.numel(); cnt+=x.numel()
    m.train(); return tot/cnt
t0=time.time()
for it in range(a.iters):
    for g in opt.param_groups: g['lr']=lr(it)
    x,y=batch(tr); loss=m(x,y); opt.zero_grad(set_to_none=True); loss.backward()
    if a.clip>0: torch.nn.utils.clip_grad_norm_(m.parameters(),a.clip)
    opt.step()
if te is None:
    print(f'{a.tag} {" ".join(sys.argv[1:])} valfull={evfull():.4f} time={time.time()-t0:.0f}s',flush=True)
else:
    import json
    print(json.dumps({'model':'gpt','dataset':'tinyshakespeare','implementation':'pytorch','val_loss':evfull(va),'test_loss':evfull(te),
                      'bias':bool(a.bias),'seed':a.seed,'seconds':round(time.time()-t0,3)},separators=(',',':')),flush=True)
