"""Small models bundled with the engine: classic puzzles with known state counts, used by the
README, the engine's tests and the benchmarks. They know nothing of TiCDC."""

from .two_phase_commit import TwoPhaseCommit
from .water_jug import WaterJug

EXAMPLES = {"two_phase_commit": TwoPhaseCommit, "water_jug": WaterJug}
