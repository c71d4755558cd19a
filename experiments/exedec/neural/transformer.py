"""The encoder-decoder Transformer every ExeDec model uses, and beam search over its outputs.

As in the original, the encoder reads each example on its own and the decoder attends to
the encodings of all examples at once. The original's relative attention (32 buckets) is
replaced by learned absolute positions within each example plus a learned embedding of the
example's index, so the decoder can tell the examples apart when it writes one value per
example (a subgoal). Each token also embeds its offset from the last boundary token (a
variable's name, `[`, `|`, `>`), as the original's SpecDecomposer restarts its relative
positions at each `|`: element i of a list lines up with element i of every other list
wherever the lists start, which element-wise operations need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from nslab.experiments.exedec.deepcoder.tokens import BOS, EOS, PAD


@dataclass(frozen=True)
class ModelSize:
    dim: int
    heads: int
    layers: int
    ff_dim: int
    dropout: float


class SpecTransformer(nn.Module):
    """Maps examples (batch, examples, tokens) to next-token logits of one output sequence."""

    def __init__(
        self,
        vocab_size: int,
        size: ModelSize,
        max_source_len: int,
        max_target_len: int,
        max_examples: int,
        boundaries: Sequence[int],
    ) -> None:
        super().__init__()
        self.max_source_len = max_source_len
        self.max_target_len = max_target_len
        self.embed = nn.Embedding(vocab_size, size.dim, padding_idx=PAD)
        self.source_position = nn.Embedding(max_source_len, size.dim)
        self.target_position = nn.Embedding(max_target_len + 1, size.dim)
        self.boundaries: torch.Tensor
        self.register_buffer("boundaries", torch.tensor([BOS, *boundaries]), persistent=False)
        self.value_position = nn.Embedding(max(max_source_len, max_target_len + 1), size.dim)
        self.example_index = nn.Embedding(max_examples, size.dim)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(
                size.dim, size.heads, size.ff_dim, size.dropout, batch_first=True, norm_first=True
            ),
            size.layers,
            norm=nn.LayerNorm(size.dim),
            enable_nested_tensor=False,
        )
        self.decoder = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(
                size.dim, size.heads, size.ff_dim, size.dropout, batch_first=True, norm_first=True
            ),
            size.layers,
            norm=nn.LayerNorm(size.dim),
        )
        self.output = nn.Linear(size.dim, vocab_size)

    def value_offsets(self, tokens: torch.Tensor) -> torch.Tensor:
        """Each token's distance from the last boundary token at or before it (rows: sequences)."""
        positions = torch.arange(tokens.shape[1], device=tokens.device).expand_as(tokens)
        starts = torch.where(torch.isin(tokens, self.boundaries), positions, 0)
        offsets: torch.Tensor = positions - starts.cummax(dim=1).values
        return offsets

    def encode(self, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Memory (batch, examples * tokens, dim) and its padding mask (True = padding)."""
        batch, examples, length = source.shape
        flat = source.reshape(batch * examples, length)
        positions = torch.arange(length, device=source.device)
        # Token and position embeddings start at the same scale (both N(0, 1)): scaling tokens
        # by sqrt(dim), as for N(0, 1/dim) tables, drowned the positions and slowed learning.
        hidden = (
            self.embed(flat)
            + self.source_position(positions)
            + self.value_position(self.value_offsets(flat))
        )
        padding = flat == PAD
        encoded = self.encoder(hidden, src_key_padding_mask=padding)
        index = self.example_index(torch.arange(examples, device=source.device))
        encoded = encoded.reshape(batch, examples, length, -1) + index[None, :, None, :]
        return encoded.reshape(batch, examples * length, -1), padding.reshape(batch, -1)

    def decode(
        self, target_in: torch.Tensor, memory: torch.Tensor, memory_padding: torch.Tensor
    ) -> torch.Tensor:
        """Logits (batch, length, vocab) for every prefix of `target_in` (which starts at BOS)."""
        length = target_in.shape[1]
        positions = torch.arange(length, device=target_in.device)
        hidden = (
            self.embed(target_in)
            + self.target_position(positions)
            + self.value_position(self.value_offsets(target_in))
        )
        # Boolean like the padding masks (True = may not attend), so torch does not convert.
        causal = torch.ones(length, length, dtype=torch.bool, device=target_in.device).triu(1)
        decoded = self.decoder(
            hidden,
            memory,
            tgt_mask=causal,
            tgt_is_causal=True,
            tgt_key_padding_mask=target_in == PAD,
            memory_key_padding_mask=memory_padding,
        )
        logits: torch.Tensor = self.output(decoded)
        return logits

    def forward(self, source: torch.Tensor, target_in: torch.Tensor) -> torch.Tensor:
        memory, padding = self.encode(source)
        return self.decode(target_in, memory, padding)


@dataclass(frozen=True)
class Hypothesis:
    """A finished output sequence (without BOS and EOS) and its log-probability."""

    tokens: tuple[int, ...]
    log_prob: float


@dataclass
class _Beam:
    """One input's search: live prefixes (rows, starting at BOS), their scores, and the
    finished outputs so far."""

    prefixes: torch.Tensor
    scores: torch.Tensor
    finished: list[Hypothesis]
    done: bool = False

    def advance(self, log_probs: torch.Tensor, beam_size: int, max_target_len: int) -> None:
        """Extend the live prefixes by one token given their next-token log-probabilities.

        Log-probabilities only fall as a sequence grows, so the search ends once no live
        prefix can beat the worst of `beam_size` finished sequences.
        """
        live, vocab = log_probs.shape
        device = log_probs.device
        totals = (self.scores[:, None] + log_probs).flatten()
        # The last step may only end a sequence.
        if self.prefixes.shape[1] > max_target_len:
            ends = torch.arange(live, device=device) * vocab + EOS
            totals = torch.full_like(totals, -torch.inf).index_copy(0, ends, totals[ends])
        top = torch.topk(totals, min(2 * beam_size, totals.numel()))
        keep_rows: list[int] = []
        keep_tokens: list[int] = []
        keep_scores: list[float] = []
        for score, flat in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            if score == -float("inf"):
                break
            row, token = divmod(flat, vocab)
            if token == EOS:
                self.finished.append(Hypothesis(tuple(self.prefixes[row, 1:].tolist()), score))
            elif token not in (PAD, BOS) and len(keep_rows) < beam_size:
                keep_rows.append(row)
                keep_tokens.append(token)
                keep_scores.append(score)
        self.finished.sort(key=lambda hypothesis: -hypothesis.log_prob)
        del self.finished[beam_size:]
        full = len(self.finished) == beam_size
        if not keep_rows or (full and max(keep_scores) <= self.finished[-1].log_prob):
            self.done = True
            return
        rows = torch.tensor(keep_rows, device=device)
        self.prefixes = torch.cat(
            [self.prefixes[rows], torch.tensor(keep_tokens, device=device)[:, None]], dim=1
        )
        self.scores = torch.tensor(keep_scores, device=device)


@torch.no_grad()
def beam_search(
    model: SpecTransformer, sources: Sequence[torch.Tensor], beam_size: int
) -> list[list[Hypothesis]]:
    """For each input (examples, tokens), its `beam_size` most likely finished outputs, best
    first.

    Every input keeps a beam of its own, but all live prefixes are decoded as one batch:
    a search step costs one call of the model however many inputs there are (the original
    likewise decodes its whole beam at once). The inputs must have equally many examples.
    """
    model.eval()
    if not sources:
        return []
    device = sources[0].device
    examples = sources[0].shape[0]
    if any(source.shape[0] != examples for source in sources):
        raise ValueError("every input of one beam search needs the same number of examples")
    batch = torch.full(
        (len(sources), examples, max(source.shape[1] for source in sources)),
        PAD,
        dtype=torch.long,
        device=device,
    )
    for index, source in enumerate(sources):
        batch[index, :, : source.shape[1]] = source
    memory, padding = model.encode(batch)
    beams = [
        _Beam(
            torch.full((1, 1), BOS, dtype=torch.long, device=device),
            torch.zeros(1, device=device),
            [],
        )
        for _ in sources
    ]
    for _ in range(model.max_target_len + 1):
        active = [beam_index for beam_index, beam in enumerate(beams) if not beam.done]
        if not active:
            break
        owners = torch.tensor(
            [index for index in active for _ in range(beams[index].prefixes.shape[0])],
            device=device,
        )
        prefixes = torch.cat([beams[index].prefixes for index in active])
        logits = model.decode(prefixes, memory[owners], padding[owners])[:, -1]
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        start = 0
        for index in active:
            live = beams[index].prefixes.shape[0]
            beams[index].advance(log_probs[start : start + live], beam_size, model.max_target_len)
            start += live
    return [beam.finished for beam in beams]
