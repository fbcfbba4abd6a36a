"""Draws assets/icon.png, the app's page icon (`python assets/draw_icon.py`; Pillow).

A conical flask, for the technicians the Technician Commitment is about: white on Okabe-Ito blue, its liquid
Okabe-Ito orange (the dashboard's colours). The app serves the file itself (st.set_page_config's page_icon), so no
browser fetches an icon from anywhere else.
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent / "icon.png"
SIZE = 128
BLUE, ORANGE, WHITE = (0, 114, 178, 255), (230, 159, 0, 255), (255, 255, 255, 255)


def draw() -> Image.Image:
    big = 4 * SIZE  # drawn large and reduced: smooth edges
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    u = big / 32  # a 32-unit grid
    d.rounded_rectangle([0, 0, big - 1, big - 1], radius=6 * u, fill=BLUE)
    d.rectangle([13 * u, 6 * u, 19 * u, 14 * u], fill=WHITE)  # neck
    d.rounded_rectangle([11.5 * u, 5 * u, 20.5 * u, 7.5 * u], radius=1 * u, fill=WHITE)  # rim
    d.polygon([(13 * u, 13 * u), (19 * u, 13 * u), (26 * u, 25 * u), (6 * u, 25 * u)], fill=WHITE)  # body
    d.rounded_rectangle([6 * u, 23 * u, 26 * u, 27 * u], radius=1.5 * u, fill=WHITE)  # base
    d.polygon([(9.5 * u, 19 * u), (22.5 * u, 19 * u), (24.5 * u, 23 * u), (7.5 * u, 23 * u)], fill=ORANGE)
    d.rounded_rectangle([7.5 * u, 22 * u, 24.5 * u, 25.2 * u], radius=1 * u, fill=ORANGE)  # liquid
    return img.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    draw().save(OUT, optimize=True)
