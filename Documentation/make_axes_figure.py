"""Draw axes.svg: one ITK pixel buffer and the two NumPy views nibridge gives of it.

A 3 x 2 x 2 image (size i = 3, j = 2, k = 2, float32) is drawn three times:

* the ITK buffer, as memory: index (i, j, k) lives at offset i + 3 j + 6 k, i fastest;
* the default view, ``array_view_from_image(image)``: shape (k, j, i), C-contiguous, what ``itk`` and
  SimpleITK give: ``array[k, j, i]``;
* the ``keep_axes=True`` view: shape (i, j, k), the same bytes with strides (4, 12, 24): nibabel's voxel
  order, ``array[i, j, k]``.

Every cell is labelled with its memory offset and coloured by it, so the same colour is the same byte in
all three panels. The offsets in the two views are computed from the strides NumPy reports for the two
arrays, and checked against i + 3 j + 6 k before anything is drawn.

Usage: python make_axes_figure.py [OUTPUT]   (default: axes.svg here)
"""

import argparse
from pathlib import Path

import numpy as np

SIZE = (3, 2, 2)  # ITK order: i, j, k
ITEM_SIZE = 4  # float32
CELL = 34
FONT = "font-family='DejaVu Sans, Arial, sans-serif'"
TEXT_COLOUR = "#222222"


def offsets_of(view):
    """The element offset of every entry of `view`, from its byte strides (the views share one buffer)."""
    offsets = np.zeros(view.shape, dtype=int)
    for axis, stride in enumerate(view.strides):
        shape = [1] * view.ndim
        shape[axis] = view.shape[axis]
        offsets = offsets + np.arange(view.shape[axis]).reshape(shape) * (stride // ITEM_SIZE)
    return offsets


def check_views():
    """The default and keep_axes views as NumPy arrays over one C-ordered (k, j, i) buffer."""
    size_i, size_j, size_k = SIZE
    default = np.zeros((size_k, size_j, size_i), np.float32)
    keep_axes = default.transpose()
    default_offsets, keep_offsets = offsets_of(default), offsets_of(keep_axes)
    for i in range(size_i):
        for j in range(size_j):
            for k in range(size_k):
                expected = i + size_i * j + size_i * size_j * k
                assert default_offsets[k, j, i] == expected, (i, j, k)
                assert keep_offsets[i, j, k] == expected, (i, j, k)
    return default, keep_axes, default_offsets, keep_offsets


def colour(offset):
    """A colour per memory offset, from a light to a dark blue-green."""
    count = int(np.prod(SIZE)) - 1
    fraction = offset / count
    red = int(235 - 175 * fraction)
    green = int(245 - 110 * fraction)
    blue = int(225 - 60 * fraction)
    return f"#{red:02x}{green:02x}{blue:02x}"


def text(x, y, content, *, size=13, anchor="middle", weight="normal", fill=TEXT_COLOUR):
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' {FONT} font-size='{size}' text-anchor='{anchor}' "
        f"font-weight='{weight}' fill='{fill}'>{content}</text>"
    )


def cell(x, y, offset):
    ink = "#ffffff" if offset > int(np.prod(SIZE)) * 0.6 else TEXT_COLOUR
    return [
        f"<rect x='{x}' y='{y}' width='{CELL}' height='{CELL}' fill='{colour(offset)}' stroke='#555555'/>",
        text(x + CELL / 2, y + CELL / 2 + 5, str(offset), fill=ink),
    ]


def memory_panel(x, y):
    """The buffer as one row of cells, index (i, j, k) under each."""
    parts = [text(x, y, "ITK pixel buffer (memory, offsets in pixels)", size=15, anchor="start", weight="bold")]
    size_i, size_j, _ = SIZE
    for offset in range(int(np.prod(SIZE))):
        i, j, k = offset % size_i, (offset // size_i) % size_j, offset // (size_i * size_j)
        left = x + offset * (CELL + 2)
        parts += cell(left, y + 14, offset)
        parts.append(text(left + CELL / 2, y + CELL + 30, f"{i},{j},{k}", size=11))
    parts.append(
        text(x, y + CELL + 50, "index [i, j, k] below each pixel: i fastest, then j, then k", size=12, anchor="start")
    )
    return parts


def view_panel(origin, title, subtitles, offsets, axis_names):
    """A 3-D view drawn as its first-axis blocks, each a grid of (second axis) rows x (third axis) columns."""
    x, y = origin
    block_name, row_name, column_name = axis_names
    parts = [text(x, y, title, size=15, anchor="start", weight="bold")]
    parts += [
        text(x, y + 18 * (line + 1), subtitle, size=12, anchor="start") for line, subtitle in enumerate(subtitles)
    ]
    top = y + 18 * len(subtitles) + 30
    for block in range(offsets.shape[0]):
        block_top = top + block * (offsets.shape[1] * CELL + 36)
        parts.append(text(x, block_top - 6, f"{block_name} = {block}", size=12, anchor="start", weight="bold"))
        for row in range(offsets.shape[1]):
            parts.append(
                text(x + 28, block_top + row * CELL + CELL / 2 + 5, f"{row_name}={row}", size=11, anchor="end")
            )
            for column in range(offsets.shape[2]):
                parts += cell(x + 34 + column * CELL, block_top + row * CELL, int(offsets[block, row, column]))
        for column in range(offsets.shape[2]):
            label_y = block_top + offsets.shape[1] * CELL + 13
            parts.append(text(x + 34 + column * CELL + CELL / 2, label_y, f"{column_name}={column}", size=11))
    return parts


def figure():
    default, keep_axes, default_offsets, keep_offsets = check_views()
    width, height = 840, 580
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>",
        f"<rect width='{width}' height='{height}' fill='#ffffff'/>",
    ]
    parts += memory_panel(20, 28)
    strides = ", ".join(str(stride) for stride in default.strides)
    parts += view_panel(
        (20, 150),
        "array_view_from_image(image)",
        (f"shape (k, j, i) = {default.shape}", f"strides ({strides}) bytes: C order, as itk and SimpleITK"),
        default_offsets,
        ("k", "j", "i"),
    )
    strides = ", ".join(str(stride) for stride in keep_axes.strides)
    parts += view_panel(
        (400, 150),
        "array_view_from_image(image, keep_axes=True)",
        (f"shape (i, j, k) = {keep_axes.shape}", f"strides ({strides}) bytes: nibabel's voxel order"),
        keep_offsets,
        ("i", "j", "k"),
    )
    parts.append(
        text(20, height - 32, "Same colour, same byte: both views share the image's buffer.", size=12, anchor="start")
    )
    parts.append(
        text(
            20,
            height - 14,
            "A vector image adds a trailing component axis c (stride = item size) to both.",
            size=12,
            anchor="start",
        )
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", nargs="?", default=str(Path(__file__).with_name("axes.svg")))
    arguments = parser.parse_args(argv)
    Path(arguments.output).write_text(figure())


if __name__ == "__main__":
    main()
