/**
 * Drawing on canvases: grey bytes at their own resolution (CSS scales them up with image-rendering: pixelated so
 * pixels stay crisp) and PNG downloads of what a view shows.
 */

/**
 * The one place grey bytes become pixels: images of width × height in a grid, `columns` per row, `gap` pixels of
 * white between them, as the canvas's whole content at their own resolution.
 */
export function drawGrey(
  canvas: HTMLCanvasElement,
  images: readonly Uint8Array[],
  width: number,
  height: number,
  columns = Math.max(1, images.length),
  gap = 0,
): void {
  const rows = Math.max(1, Math.ceil(images.length / columns));
  const W = columns * width + (columns - 1) * gap;
  const H = rows * height + (rows - 1) * gap;
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const data = ctx.createImageData(W, H);
  data.data.fill(255);
  images.forEach((bytes, k) => {
    const ox = (k % columns) * (width + gap);
    const oy = Math.floor(k / columns) * (height + gap);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = bytes[y * width + x] ?? 0;
        const o = ((oy + y) * W + ox + x) * 4;
        data.data[o] = v;
        data.data[o + 1] = v;
        data.data[o + 2] = v;
      }
    }
  });
  ctx.putImageData(data, 0, 0);
}

/** Downloads the canvas as a PNG at `scale` times its resolution, nearest-neighbour so pixels stay crisp. */
export function saveCanvasPng(canvas: HTMLCanvasElement, filename: string, scale = 4): void {
  const out = document.createElement('canvas');
  out.width = canvas.width * scale;
  out.height = canvas.height * scale;
  const ctx = out.getContext('2d');
  if (!ctx) return;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(canvas, 0, 0, out.width, out.height);
  out.toBlob((blob) => {
    if (!blob) return;
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }, 'image/png');
}

/** Several canvases side by side (or stacked) as one PNG: views made of many canvases save as one picture. */
export function saveCanvasesPng(
  canvases: readonly HTMLCanvasElement[],
  filename: string,
  direction: 'row' | 'column',
  gap = 4,
  scale = 2,
): void {
  if (canvases.length === 0) return;
  const joined = document.createElement('canvas');
  joined.width =
    direction === 'row'
      ? canvases.reduce((s, c) => s + c.width, 0) + gap * (canvases.length - 1)
      : Math.max(...canvases.map((c) => c.width));
  joined.height =
    direction === 'column'
      ? canvases.reduce((s, c) => s + c.height, 0) + gap * (canvases.length - 1)
      : Math.max(...canvases.map((c) => c.height));
  const ctx = joined.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, joined.width, joined.height);
  let offset = 0;
  for (const c of canvases) {
    if (direction === 'row') ctx.drawImage(c, offset, 0);
    else ctx.drawImage(c, 0, offset);
    offset += (direction === 'row' ? c.width : c.height) + gap;
  }
  saveCanvasPng(joined, filename, scale);
}
