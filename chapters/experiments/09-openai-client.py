# The official `openai` Python client against `backprop serve` (chapter 9,
# "The OpenAI wire format"): the server speaks enough of OpenAI's API that the
# client most tools use works unchanged, streaming included.
#
# It starts nothing itself. Serve a text model first, then point it at the
# server's /v1 URL:
#
#   backprop train gpt --save shakespeare.ckpt          (or train char-rnn)
#   backprop serve --model shakespeare.ckpt --port 8080
#   pip install openai
#   python3 chapters/experiments/09-openai-client.py --base-url http://127.0.0.1:8080/v1
#
# (OPENAI_BASE_URL works too.) It lists the models, asks for a completion, a
# chat completion and a streamed chat completion, and prints each answer
# with its finish reason and usage. The server needs no key; the client
# insists on one, so a placeholder is sent. The tests never run it.
import argparse, os, sys
from openai import OpenAI

p = argparse.ArgumentParser()
p.add_argument('--base-url', default=os.environ.get('OPENAI_BASE_URL', 'http://127.0.0.1:8080/v1'))
p.add_argument('--seed', type=int, default=7)
args = p.parse_args()

client = OpenAI(base_url=args.base_url, api_key=os.environ.get('OPENAI_API_KEY', 'not-needed'), max_retries=0, timeout=60)

models = client.models.list()
ids = [m.id for m in models.data]
print('models:', ids)
if not ids:
    sys.exit('the server lists no text model: serve a char-rnn or GPT checkpoint')
model = ids[0]

completion = client.completions.create(model=model, prompt='ROMEO:\n', max_tokens=80, temperature=0.8,
                                       top_p=0.95, stop=['\n\n'], seed=args.seed)
choice = completion.choices[0]
print(f'\ncompletion ({choice.finish_reason}, usage {completion.usage.prompt_tokens}+{completion.usage.completion_tokens}'
      f'={completion.usage.total_tokens}):\nROMEO:\n{choice.text}')

messages = [{'role': 'system', 'content': 'A street in Verona.'},
            {'role': 'user', 'content': 'What news from the court?', 'name': 'BENVOLIO'}]
chat = client.chat.completions.create(model=model, messages=messages, max_tokens=120, temperature=0.8, seed=args.seed)
reply = chat.choices[0]
print(f'\nchat ({reply.finish_reason}, usage {chat.usage.prompt_tokens}+{chat.usage.completion_tokens}'
      f'={chat.usage.total_tokens}):\n{reply.message.role}: {reply.message.content}')

print('\nstreamed chat:', end='\n', flush=True)
pieces, finish, usage = [], None, None
stream = client.chat.completions.create(model=model, messages=messages, max_tokens=120, temperature=0.8, seed=args.seed,
                                        stream=True, stream_options={'include_usage': True})
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage
    for c in chunk.choices:
        if c.delta.content:
            pieces.append(c.delta.content)
            print(c.delta.content, end='', flush=True)
        if c.finish_reason:
            finish = c.finish_reason
print(f'\n({len(pieces)} chunks, finish {finish}, usage {usage.prompt_tokens}+{usage.completion_tokens}={usage.total_tokens})')
same = ''.join(pieces) == reply.message.content
print('streamed text equals the non-streamed reply with the same seed:', same)
sys.exit(0 if same else 1)
