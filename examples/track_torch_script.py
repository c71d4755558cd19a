"""`torch_script.py` ported to nslab with two lines: `nslab.init(...)` and `run.log(...)`.

`python examples/track_torch_script.py` stores a run in `./.nslab` (or `$NSLAB_HOME`);
`nslab watch sine-fit` follows it live. Under `nslab exec` the same script reports into the
exec run instead of making its own.
"""

import torch

import nslab

config = {"lr": 0.01, "width": 32, "steps": 200}
run = nslab.init(kind="sine-fit", config=config)
torch.manual_seed(0)
x = torch.linspace(-1, 1, 256).unsqueeze(1)
y = torch.sin(3 * x) + 0.1 * torch.randn_like(x)
model = torch.nn.Sequential(
    torch.nn.Linear(1, config["width"]), torch.nn.Tanh(), torch.nn.Linear(config["width"], 1)
)
optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])

for step in range(config["steps"]):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step={step} loss={loss.item():.5f}")
        run.log(step, loss=loss.item())
