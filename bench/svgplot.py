#!/usr/bin/env python3
"""A line chart as plain SVG, no plotting library: svgplot.py OUT.svg TITLE XLABEL YLABEL CSV [CSV...]

Each CSV has a header row; its first column is x and every other column is a series named by its header, prefixed
with the CSV's file name (without .csv) when several CSVs are given. A dashed horizontal line is drawn at y = REF
when the environment sets REF (e.g. REF=0.05), labelled REF_LABEL.
"""
import csv
import os
import sys

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
W, H, L, R, T, B = 760, 420, 70, 220, 40, 50


def series(paths):
    out = []
    for path in paths:
        with open(path) as f:
            rows = list(csv.reader(f))
        head, body = rows[0], rows[1:]
        prefix = os.path.basename(path)[:-4] + " " if len(paths) > 1 else ""
        xs = [float(r[0]) for r in body]
        for i in range(1, len(head)):
            out.append((prefix + head[i], xs, [float(r[i]) for r in body]))
    return out


def main(out, title, xlabel, ylabel, *paths):
    lines = series(paths)
    ref = float(os.environ["REF"]) if os.environ.get("REF") else None
    xmin = min(min(xs) for _, xs, _ in lines)
    xmax = max(max(xs) for _, xs, _ in lines)
    ymax = max(max(ys) for _, _, ys in lines)
    ymax = max(ymax, ref or 0) * 1.1 or 1
    px = lambda x: L + (x - xmin) / ((xmax - xmin) or 1) * (W - L - R)
    py = lambda y: H - B - y / ymax * (H - T - B)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">{title}</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
           f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">{xlabel}</text>',
           f'<text x="16" y="{(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 {(T + H - B) / 2})">{ylabel}</text>']
    for i in range(6):
        y = ymax * i / 5
        svg.append(f'<line x1="{L - 4}" y1="{py(y):.1f}" x2="{W - R}" y2="{py(y):.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{L - 8}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.3g}</text>')
    for i in range(6):
        x = xmin + (xmax - xmin) * i / 5
        svg.append(f'<text x="{px(x):.1f}" y="{H - B + 16}" text-anchor="middle">{x:.3g}</text>')
    if ref is not None:
        svg.append(f'<line x1="{L}" y1="{py(ref):.1f}" x2="{W - R}" y2="{py(ref):.1f}" stroke="black" stroke-dasharray="6 4"/>')
        svg.append(f'<text x="{W - R + 6}" y="{py(ref) + 4:.1f}">{os.environ.get("REF_LABEL", ref)}</text>')
    for n, (name, xs, ys) in enumerate(lines):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys))
        svg.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        svg.append(f'<rect x="{W - R + 10}" y="{T + 10 + n * 20}" width="14" height="3" fill="{colour}"/>')
        svg.append(f'<text x="{W - R + 30}" y="{T + 15 + n * 20}">{name}</text>')
    svg.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
