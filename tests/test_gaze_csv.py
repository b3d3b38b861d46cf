"Every malformed fixation CSV is a GazeFormatError that names the file and the line, and nothing is returned."
import numpy as np
import pytest

from gazekit.core import GazeKitError, GazeFormatError
from gazekit.gaze import Fixations, read_gazemedseg_csv, write_gazemedseg_csv

HEADER = "IMAGE,CURRENT_FIX_INDEX,CURRENT_FIX_X,CURRENT_FIX_Y,CURRENT_FIX_DURATION,CURRENT_FIX_PUPIL,CURRENT_FIX_START,IMAGE_HEIGHT,IMAGE_WIDTH"
ROWS = ["a.jpg,1,0.5,0.5,300,1000,7,100.0,120.0", "a.jpg,2,0.2,0.4,200,1000,320,100.0,120.0", "b.jpg,1,0.9,0.1,150,1000,7,50.0,60.0"]


def write(tmp_path, lines, name="fix.csv"):
    p = tmp_path / name
    p.write_text("\n".join(lines) + ("\n" if lines else ""))
    return p


def test_good_file(tmp_path):
    g = read_gazemedseg_csv(write(tmp_path, [HEADER, *ROWS]))
    assert sorted(g) == ["a", "b"]
    assert len(g["a"]) == 2 and g["a"].size == (100, 120)
    np.testing.assert_allclose(g["a"].duration, [300, 200])


@pytest.mark.parametrize("edit, expect", [
    (lambda rows: [HEADER.replace(",CURRENT_FIX_Y", ""), *[",".join(r.split(",")[:3] + r.split(",")[4:]) for r in rows]],
     "missing column(s) CURRENT_FIX_Y"),
    (lambda rows: [HEADER, rows[0], rows[1].replace("0.2,0.4", "0.2,abc"), rows[2]], "line 3 (IMAGE=a.jpg): CURRENT_FIX_Y is not a number"),
    (lambda rows: [HEADER, rows[0], rows[1], rows[2].replace("0.9,0.1", "1.4,0.1")], "line 4 (IMAGE=b.jpg): CURRENT_FIX_X=1.4 is outside [0, 1]"),
    (lambda rows: [HEADER, rows[0].replace("0.5,0.5", "-0.1,0.5"), *rows[1:]], "line 2"),
    (lambda rows: [HEADER, rows[0].replace(",300,", ",0,"), *rows[1:]], "CURRENT_FIX_DURATION=0 is not a fixation duration"),
    (lambda rows: [HEADER, rows[0], rows[1].replace("100.0,120.0", "101.0,120.0"), rows[2]], "differs from earlier rows"),
    (lambda rows: [], "the file is empty"),
    (lambda rows: [HEADER], "no fixations"),
])
def test_malformed(tmp_path, edit, expect):
    p = write(tmp_path, edit(ROWS))
    with pytest.raises(GazeFormatError) as e:
        read_gazemedseg_csv(p)
    assert expect in str(e.value), str(e.value)
    assert str(p) in str(e.value)                      # the file is named
    assert "Fix:" in str(e.value)                      # and what to do


def test_unknown_image(tmp_path):
    p = write(tmp_path, [HEADER, *ROWS])
    with pytest.raises(GazeFormatError, match=r"line 4 \(IMAGE=b.jpg\): image 'b' is not in the dataset"):
        read_gazemedseg_csv(p, known_ids={"a"})


def test_missing_file_is_gazekit_error(tmp_path):
    with pytest.raises(GazeKitError, match="not found"):
        read_gazemedseg_csv(tmp_path / "nope.csv")


def test_round_trip(tmp_path):
    f = Fixations([0.1, 0.7], [0.2, 0.9], [120, 340], [0, 200], [1, 2], 64, 80, "x")
    write_gazemedseg_csv({"x": f}, tmp_path / "rt.csv")
    g = read_gazemedseg_csv(tmp_path / "rt.csv")["x"]
    np.testing.assert_allclose(g.x, f.x); np.testing.assert_allclose(g.duration, f.duration)
    assert g.size == (64, 80)
