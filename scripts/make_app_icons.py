"""Draw the home-screen icons (static/daiban/icons/icon-192.png, icon-512.png): the red
代 mark of the top bar, white on the app's red, small enough for the maskable safe zone
(the mark stays inside the middle 80 %, which launchers never crop).

Run once after changing the design: .venv/bin/python scripts/make_app_icons.py
Needs Noto Sans CJK (Debian: fonts-noto-cjk).
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

RED, WHITE = (183, 28, 28), (255, 255, 255)
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
FONT_INDEX = 2  # the SC face of the collection (JP, KR, SC, TC, HK)
OUT = Path(__file__).resolve().parent.parent / "static" / "daiban" / "icons"


def draw(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), RED)
    pen = ImageDraw.Draw(image)
    # A white rounded tile like the top bar's brand mark, holding a red 代.
    tile = round(size * 0.56)
    left = (size - tile) // 2
    pen.rounded_rectangle([left, left, left + tile, left + tile], radius=round(tile * 0.22), fill=WHITE)
    font = ImageFont.truetype(FONT, round(tile * 0.72), index=FONT_INDEX)
    pen.text((size / 2, size / 2), "代", font=font, fill=RED, anchor="mm")
    return image.quantize(colors=32)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
