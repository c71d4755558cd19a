"""A 20-line PyTorch training script as found in the wild: it prints its loss.

`nslab exec -- python examples/torch_script.py` runs it unchanged as a run, its printed
`step=... loss=...` lines read as metric points; `track_torch_script.py` is the same script
reporting through `nslab.init()` instead.
"""

import torch

config = {"lr": 0.01, "width": 32, "steps": 200}
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
