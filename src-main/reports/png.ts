import { deflateSync } from 'node:zlib';

/** CRC-32 as PNG requires (ISO 3309, the table-driven form from the PNG specification, annex D). */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * Encodes 8-bit greyscale pixels (row-major, width × height) as a PNG: every scanline with filter 0, one
 * zlib stream. Small and dependency-free: reports embed image strips and grids made by the engine.
 */
export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`PNG size ${width}×${height}: allowed: positive integers`);
  }
  if (pixels.length !== width * height) {
    throw new Error(`PNG pixels: ${pixels.length} bytes for ${width}×${height}; expected ${width * height}`);
  }
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: greyscale
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * Lays out images (each width × height) in a grid with a 1-pixel gap, `columns` per row: strips of
 * reconstructions, prior samples and manifolds.
 */
export function tileImages(
  images: readonly Uint8Array[],
  width: number,
  height: number,
  columns: number,
  gap = 1,
): { pixels: Uint8Array; width: number; height: number } {
  const rows = Math.max(1, Math.ceil(images.length / columns));
  const W = columns * width + (columns - 1) * gap;
  const H = rows * height + (rows - 1) * gap;
  const pixels = new Uint8Array(W * H).fill(255);
  images.forEach((image, i) => {
    const ox = (i % columns) * (width + gap);
    const oy = Math.floor(i / columns) * (height + gap);
    for (let y = 0; y < height; y++) pixels.set(image.subarray(y * width, (y + 1) * width), (oy + y) * W + ox);
  });
  return { pixels, width: W, height: H };
}
