"""Draw orientation.svg: one oblique volume in nibabel's RAS+ frame and ITK's LPS frame.

The slice k = 0 of the volume is projected along S onto the axial plane and drawn
twice: as seen from above in RAS+ (R right, A up, S towards the viewer) and as seen
from the feet in LPS (L right, P down as on a screen, S away from the viewer: the
radiological view). The labels on the slice borders are the anatomical
directions nearest to +i and +j (and their opposites), computed from the affine and
checked against nibabel.aff2axcodes: they stay with the patient, whatever the frame.

Usage: python make_orientation_figure.py [OUTPUT]   (default: orientation.svg here)
"""

import argparse
from pathlib import Path

import nibabel as nib
import numpy as np

SHAPE = (36, 30, 20)
ZOOMS = (2.5, 3.0, 4.0)
VOXEL_ZERO_RAS = (30.0, 40.0, -30.0)
RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0])
# (negative end, positive end) of each world axis, as nibabel.aff2axcodes takes them.
RAS_LABELS = (("L", "R"), ("P", "A"), ("I", "S"))
LPS_LABELS = (("R", "L"), ("A", "P"), ("I", "S"))
OPPOSITE = {"R": "L", "L": "R", "A": "P", "P": "A", "S": "I", "I": "S"}

PANEL_WIDTH, PANEL_HEIGHT = 400, 460
MM_TO_PIXELS = 1.8
I_COLOUR, J_COLOUR, WORLD_COLOUR = "#c0392b", "#1f5fbf", "#222222"


def rotation(axis, degrees):
    """Right-handed rotation about world axis 0 (R), 1 (A) or 2 (S)."""
    angle = np.deg2rad(degrees)
    cosine, sine = np.cos(angle), np.sin(angle)
    first, second = (axis + 1) % 3, (axis + 2) % 3
    matrix = np.eye(3)
    matrix[first, first] = matrix[second, second] = cosine
    matrix[first, second], matrix[second, first] = -sine, sine
    return matrix


def oblique_affine():
    """Voxel (i, j, k) -> RAS+ mm: 20 degrees about S, then 10 about A."""
    affine = np.eye(4)
    affine[:3, :3] = rotation(2, 20.0) @ rotation(1, 10.0) @ np.diag(ZOOMS)
    affine[:3, 3] = VOXEL_ZERO_RAS
    return affine


def axis_codes(affine, labels):
    """The world direction nearest to each voxel axis, as in nibabel.aff2axcodes.

    Unambiguous only when each voxel axis has a clearly largest world component,
    which holds for this figure; nibabel resolves the general case with an SVD.
    """
    codes = []
    for column in affine[:3, :3].T:
        axis = int(np.argmax(np.abs(column)))
        codes.append(labels[axis][1] if column[axis] > 0 else labels[axis][0])
    if len(set(codes) | {OPPOSITE[code] for code in codes}) != 6:
        raise ValueError(f"two voxel axes point along the same world axis: {codes}")
    return tuple(codes)


def svg_text(x, y, text, *, size=14, colour=WORLD_COLOUR, weight="normal", anchor="middle"):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{colour}" '
        f'font-weight="{weight}" text-anchor="{anchor}" '
        f'dominant-baseline="central">{text}</text>'
    )


def svg_arrow(start, end, colour, width):
    return (
        f'<line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" '
        f'y2="{end[1]:.1f}" stroke="{colour}" stroke-width="{width}" '
        f'marker-end="url(#head-{colour[1:]})"/>'
    )


def draw_panel(affine, frame, offset_x):
    """One panel; `frame` is "RAS" or "LPS" and decides the page layout."""
    lps = frame == "LPS"
    world = RAS_TO_LPS @ affine[:3] if lps else affine[:3]
    labels = LPS_LABELS if lps else RAS_LABELS
    codes = axis_codes(np.vstack([world, [0, 0, 0, 1]]), labels)

    def page(point):
        # +x right in both; +y up for RAS (seen from S), down for LPS (seen from I).
        sign = 1.0 if lps else -1.0
        return np.array([point[0], sign * point[1]]) * MM_TO_PIXELS

    def voxel_to_page(index):
        return page(world @ np.append(index, 1.0))

    size_i, size_j = SHAPE[0] - 1, SHAPE[1] - 1
    corners_index = [(0, 0, 0), (size_i, 0, 0), (size_i, size_j, 0), (0, size_j, 0)]
    corners = np.array([voxel_to_page(index) for index in corners_index])
    world_origin = page(np.zeros(3))
    arrow_length = 20 * MM_TO_PIXELS
    x_end = world_origin + [arrow_length, 0]
    y_end = world_origin + [0, arrow_length if lps else -arrow_length]
    # Centre the slice and the world frame together in the panel.
    points = np.vstack([corners, world_origin, x_end, y_end])
    shift = np.array([offset_x + PANEL_WIDTH / 2, 60 + (PANEL_HEIGHT - 140) / 2])
    shift -= (points.min(axis=0) + points.max(axis=0)) / 2
    corners += shift
    world_origin += shift
    x_end += shift
    y_end += shift

    names = "RAS+ (nibabel)" if not lps else "LPS (ITK)"
    view = "seen from above: S towards you" if not lps else "seen from the feet: S away"
    out = [
        svg_text(offset_x + PANEL_WIDTH / 2, 18, names, size=17, weight="bold"),
        svg_text(offset_x + PANEL_WIDTH / 2, 38, view, size=13, colour="#555555"),
    ]
    polygon = " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)
    out.append(f'<polygon points="{polygon}" fill="#e8e8e8" stroke="#444444" stroke-width="1.5"/>')

    # World frame at the world origin.
    x_label, y_label = ("L", "P") if lps else ("R", "A")
    out += [
        svg_arrow(world_origin, x_end, WORLD_COLOUR, 2),
        svg_arrow(world_origin, y_end, WORLD_COLOUR, 2),
        svg_text(*(x_end + [11, 0]), x_label, size=15, weight="bold"),
        svg_text(*(y_end + [0, 11 if lps else -11]), y_label, size=15, weight="bold"),
        (
            f'<circle cx="{world_origin[0]:.1f}" cy="{world_origin[1]:.1f}" r="7" '
            f'fill="white" stroke="{WORLD_COLOUR}" stroke-width="1.5"/>'
        ),
    ]
    if lps:  # S points into the page: a cross, the tail of an arrow
        for dx, dy in ((-4.5, -4.5), (-4.5, 4.5)):
            out.append(
                f'<line x1="{world_origin[0] + dx:.1f}" y1="{world_origin[1] + dy:.1f}" '
                f'x2="{world_origin[0] - dx:.1f}" y2="{world_origin[1] - dy:.1f}" '
                f'stroke="{WORLD_COLOUR}" stroke-width="1.5"/>'
            )
    else:  # S points out of the page: a dot, the tip of an arrow
        out.append(f'<circle cx="{world_origin[0]:.1f}" cy="{world_origin[1]:.1f}" r="2.5" fill="{WORLD_COLOUR}"/>')
    out += [
        svg_text(*(world_origin + [-12, 12]), "S", size=15, weight="bold"),
        svg_text(*(world_origin + [-16, -14]), "world origin", size=11, colour="#555555", anchor="end"),
    ]

    # Voxel axes from voxel (0, 0, 0), a quarter of the slice long.
    zero = corners[0]
    i_end = zero + (corners[1] - zero) / 4
    j_end = zero + (corners[3] - zero) / 4
    out += [
        svg_arrow(zero, i_end, I_COLOUR, 3),
        svg_arrow(zero, j_end, J_COLOUR, 3),
        svg_text(*(i_end + (i_end - zero) * 0.18), "+i", size=15, colour=I_COLOUR, weight="bold"),
        svg_text(*(j_end + (j_end - zero) * 0.18), "+j", size=15, colour=J_COLOUR, weight="bold"),
        f'<circle cx="{zero[0]:.1f}" cy="{zero[1]:.1f}" r="5" fill="black"/>',
    ]
    corner_outward = zero - corners.mean(axis=0)
    corner_outward /= np.linalg.norm(corner_outward)
    out.append(svg_text(*(zero + corner_outward * 22), "(0,0,0)", size=12))

    # Patient labels outside the middle of each border: +i's label on the far i edge.
    centre = corners.mean(axis=0)
    edges = {
        codes[0]: (corners[1] + corners[2]) / 2,
        OPPOSITE[codes[0]]: (corners[0] + corners[3]) / 2,
        codes[1]: (corners[2] + corners[3]) / 2,
        OPPOSITE[codes[1]]: (corners[0] + corners[1]) / 2,
    }
    for label, middle in edges.items():
        outward = (middle - centre) / np.linalg.norm(middle - centre)
        out.append(svg_text(*(middle + outward * 20), label, size=19, colour="#0b7a3e", weight="bold"))

    origin = world[:, 3]
    numbers = ", ".join(f"{value:g}" for value in origin)
    text_y = PANEL_HEIGHT - 45
    centre_x = offset_x + PANEL_WIDTH / 2
    out += [
        svg_text(centre_x, text_y, f"voxel (0,0,0) at {frame} ({numbers}) mm", size=13),
        svg_text(
            centre_x,
            text_y + 20,
            f"+i → {codes[0]}, +j → {codes[1]}, +k → {codes[2]}   "
            + ("(the same patient labels)" if lps else "(nibabel.aff2axcodes)"),
            size=13,
        ),
    ]
    return out, codes


def make_figure(affine):
    ras_codes = tuple(str(code) for code in nib.aff2axcodes(affine))
    lps_affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine
    lps_codes = tuple(str(code) for code in nib.aff2axcodes(lps_affine, LPS_LABELS))
    assert axis_codes(affine, RAS_LABELS) == ras_codes, ras_codes
    assert axis_codes(lps_affine, LPS_LABELS) == lps_codes, lps_codes
    # The labels name the patient's directions, so both frames must agree.
    assert ras_codes == lps_codes

    width = 2 * PANEL_WIDTH + 20
    colours = (I_COLOUR, J_COLOUR, WORLD_COLOUR)
    markers = "".join(
        f'<marker id="head-{colour[1:]}" viewBox="0 0 10 10" refX="8" refY="5" '
        'markerWidth="5" markerHeight="5" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for colour in colours
    )
    body = []
    for frame, offset_x in (("RAS", 0), ("LPS", PANEL_WIDTH + 20)):
        panel, codes = draw_panel(affine, frame, offset_x)
        assert codes == ras_codes
        body += panel
    body.append(
        f'<line x1="{PANEL_WIDTH + 10}" y1="10" x2="{PANEL_WIDTH + 10}" y2="{PANEL_HEIGHT - 10}" stroke="#bbbbbb"/>'
    )
    return "\n".join(
        [
            (
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
                f'height="{PANEL_HEIGHT}" viewBox="0 0 {width} {PANEL_HEIGHT}" '
                'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">'
            ),
            "<title>An oblique volume's slice k = 0 in RAS+ and LPS, with its patient orientation labels</title>",
            f"<defs>{markers}</defs>",
            f'<rect width="{width}" height="{PANEL_HEIGHT}" fill="white"/>',
            *body,
            "</svg>",
            "",
        ]
    )


def _get_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output",
        nargs="?",
        type=Path,
        default=Path(__file__).with_name("orientation.svg"),
        help="the SVG file to write (default: orientation.svg beside this script)",
    )
    return parser


def main(argv=None):
    arguments = _get_parser().parse_args(argv)
    affine = oblique_affine()
    arguments.output.write_text(make_figure(affine), encoding="utf-8")
    print(f"wrote {arguments.output.name}; affine (voxel -> RAS+ mm):")
    print(np.array2string(affine, precision=4, suppress_small=True))


if __name__ == "__main__":
    main()
