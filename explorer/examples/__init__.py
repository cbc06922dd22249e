"""Small models bundled with the engine: classic puzzles with known state counts, used by the
README, the engine's tests and the benchmarks. They know nothing of TiCDC.

``two_phase_commit`` packs its state into an int and has a vectorised form; ``two_phase_naive``,
``chameneos`` and ``klotski`` are written as a TLA+ user would write them (strings, tuples,
frozensets, no ``fingerprint()``), to measure the engine against a plain BFS on such models.
"""

from .chameneos import Chameneos
from .klotski import Klotski
from .two_phase_commit import TwoPhaseCommit
from .two_phase_naive import TwoPhaseNaive
from .water_jug import WaterJug

EXAMPLES = {"chameneos": Chameneos, "klotski": Klotski, "two_phase_commit": TwoPhaseCommit,
            "two_phase_naive": TwoPhaseNaive, "water_jug": WaterJug}
