"""Draw progress.svg: what `ni2npy -o OUT_DIR DATASET` shows on a terminal, captured from a real run.

The script writes a generated dataset (Testing/Data/nibridge_dataset.py: 300 small mixed images, the images nibabel
ships for MINC, PAR/REC, AFNI and ECAT, 6 corrupt files), runs ni2npy on it under a pseudo-terminal, replays the
bytes it wrote the way a terminal does ("\\r" back to the line's start, ESC[K clearing it) and draws the screen at
one moment mid-run and at the end as terminal text. Nothing in the figure is typed by hand: paths are shortened to
the dataset's own folder names.

Usage: python make_progress_figure.py NI2NPY [OUTPUT]   (default: progress.svg here)
"""

import argparse
import os
import pty
import select
import sys
import tempfile
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Testing" / "Data"))
import nibridge_dataset  # noqa: E402

LINE_HEIGHT = 18
CHARACTER_WIDTH = 7.8
FONT = "font-family='DejaVu Sans Mono, Menlo, monospace' font-size='13'"


def capture(ni2npy, dataset, output, workers=2):
    """The text ni2npy writes to its terminal, in the chunks it came in."""
    pid, terminal = pty.fork()
    if pid == 0:
        os.execv(ni2npy, [ni2npy, "-o", str(output), "-j", str(workers), str(dataset)])
    chunks = []
    while True:
        ready, _, _ = select.select([terminal], [], [], 60)
        try:
            chunk = os.read(terminal, 65536) if ready else b""
        except OSError:
            chunk = b""
        if not chunk:
            break
        chunks.append(chunk.decode())
    os.waitpid(pid, 0)
    return chunks


def screen(text):
    """The lines a terminal shows after `text`: "\\r" returns to the line's start, ESC[K clears the line."""
    lines, current = [], ""
    index = 0
    while index < len(text):
        if text.startswith("\x1b[K", index):
            current, index = "", index + 3
            continue
        character = text[index]
        if text.startswith("\r\n", index):
            character, index = "\n", index + 1  # a terminal's end of line
        if character == "\r":
            current = ""  # every redraw of ni2npy's bar clears the line (ESC[K) right after
        elif character == "\n":
            lines.append(current)
            current = ""
        else:
            current += character
        index += 1
    return lines + ([current] if current else [])


def halfway(lines):
    """Whether the last line is the progress bar at half the files or more."""
    if not lines or "files/s" not in lines[-1]:
        return False
    done, total = lines[-1].split("] ")[1].split(" ")[0].split("/")
    return int(done) * 2 >= int(total)


def draw(frames, path):
    rows = [("$ ni2npy -o npy/ dataset/", "#8fbcbb")]
    for title, lines in frames:
        rows.append((title, "#a3be8c"))
        rows.extend((line, "#eceff4" if " error: " not in line else "#bf616a") for line in lines)
    width = int(max(len(text) for text, _ in rows) * CHARACTER_WIDTH) + 40
    height = LINE_HEIGHT * len(rows) + 30
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>",
        f"<rect width='{width}' height='{height}' rx='8' fill='#2e3440'/>",
    ]
    for number, (text, colour) in enumerate(rows):
        y = 24 + number * LINE_HEIGHT
        parts.append(f"<text x='20' y='{y}' {FONT} fill='{colour}' xml:space='preserve'>{escape(text)}</text>")
    parts.append("</svg>")
    Path(path).write_text("\n".join(parts) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ni2npy")
    parser.add_argument("output", nargs="?", default=str(Path(__file__).with_name("progress.svg")))
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "dataset"
        nibridge_dataset.write_dataset(root, 300)
        chunks = capture(arguments.ni2npy, root, Path(scratch) / "npy")
        shorten = {str(Path(scratch) / "npy"): "npy", str(root): "dataset"}

        def tidy(lines):
            for long, short in shorten.items():
                lines = [line.replace(long, short) for line in lines]
            return lines

        whole = "".join(chunks)
        middle = next(
            (
                lines
                for lines in (screen("".join(chunks[:count])) for count in range(1, len(chunks) + 1))
                if halfway(lines)
            ),
            None,
        )
        assert middle, "no progress bar half-way through the run"
        draw([("# mid-run", tidy(middle)), ("# at the end", tidy(screen(whole)))], arguments.output)
    print(f"wrote {arguments.output}")


if __name__ == "__main__":
    main()
