import numpy as np
import pytest

from host_engine.dub.fit import FitSettings, fit_line
from host_engine.dub.mix import DUCK_GAIN, mix_track
from host_engine.dub.pace import Pace

RATE = 24000


def _tone(seconds: float) -> np.ndarray:
    return (0.2 * np.sin(2 * np.pi * 200 * np.arange(int(seconds * RATE)) / RATE)).astype(np.float32)


def test_line_that_fits_is_untouched():
    line = fit_line(_tone(1.0), RATE, 2.0, 4.0, 0.0, 5.0)
    assert line.stretch == 1.0 and line.start == 2.0 and line.end == pytest.approx(3.0)
    assert line.overrun == 0.0 and line.borrowed == 0.0


def test_long_line_is_sped_up_within_bounds_then_borrows_then_overruns():
    sped = fit_line(_tone(2.4), RATE, 0.0, 2.0, 0.0, 5.0)
    assert sped.stretch == pytest.approx(1.2, abs=0.01) and sped.end == pytest.approx(2.0, abs=0.02)
    borrowed = fit_line(_tone(3.0), RATE, 0.0, 2.0, 0.0, 3.0)
    assert borrowed.stretch == pytest.approx(1.35)
    assert borrowed.borrowed == pytest.approx(3.0 / 1.35 - 2.0, abs=0.02) and borrowed.overrun == 0.0
    over = fit_line(_tone(4.0), RATE, 0.0, 2.0, 0.0, 2.5, FitSettings(max_speedup=1.35))
    assert over.overrun == pytest.approx(4.0 / 1.35 - 2.5, abs=0.02)
    assert over.audio.size / RATE == pytest.approx(4.0 / 1.35, abs=0.02)


def test_a_line_the_voice_already_said_faster_is_sped_up_only_to_the_common_bound():
    said_fast = fit_line(_tone(3.0), RATE, 0.0, 2.0, 0.0, 5.0, FitSettings(max_speedup=1.35), tempo=1.25)
    assert said_fast.tempo == 1.25 and said_fast.stretch == pytest.approx(1.35)
    assert said_fast.audio.size / RATE == pytest.approx(3.0 * 1.25 / 1.35, abs=0.02)
    capped = fit_line(_tone(3.0), RATE, 0.0, 2.0, 0.0, 5.0, FitSettings(max_speedup=1.35), tempo=1.35)
    assert capped.stretch == pytest.approx(1.35) and capped.audio.size == 3 * RATE


def test_a_voice_learns_its_pace_and_is_asked_to_speed_up_only_as_a_slot_needs():
    pace = Pace()
    assert pace.tempo("Llega en tres días a su casa.", 1.0, 1.35) == 1.0  # nothing said yet: its own pace
    pace.learn("a" * 30, 2.0, 1.0)  # 15 characters a second
    assert pace.tempo("b" * 15, 2.0, 1.35) == 1.0
    assert pace.tempo("b" * 24, 1.0, 1.35) == 1.35
    assert pace.tempo("b" * 18, 1.0, 1.35) == pytest.approx(1.2)
    pace.learn("c" * 30, 1.0, 2.0)  # said twice as fast: still 15 a second at its own pace
    assert pace.tempo("b" * 30, 1.6, 1.35) == pytest.approx(1.25)


def test_line_waits_for_the_previous_one():
    line = fit_line(_tone(1.0), RATE, 1.0, 3.0, 1.5, 4.0)
    assert line.start == 1.5


def test_mix_keeps_length_and_ducks_the_original_under_speech():
    original = np.full(RATE * 6, 0.05, np.float32)
    line = fit_line(_tone(1.0), RATE, 2.0, 3.0, 0.0, 6.0)
    track, cut = mix_track(original, RATE, [line], [(2.0, 3.0)])
    assert track.size == original.size and cut == 0.0
    assert track[: RATE // 2].mean() == pytest.approx(0.05, abs=1e-3)
    speech = track[int(2.3 * RATE) : int(2.7 * RATE)]
    assert np.abs(speech).max() > 0.1
    quiet_part = track[int(5.5 * RATE) :]
    assert quiet_part.mean() == pytest.approx(0.05, abs=1e-3)
    assert DUCK_GAIN < 0.5
