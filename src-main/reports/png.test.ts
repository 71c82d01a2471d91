import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodeGreyPng, tileImages } from './png';

describe('PNG encoding', () => {
  it('computes the CRC-32 check value of the standard', () => {
    // The CRC-32 "check" value: crc32("123456789") = 0xCBF43926.
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('writes a valid greyscale PNG whose pixels read back', () => {
    const pixels = Uint8Array.from({ length: 6 }, (_, i) => i * 40);
    const png = encodeGreyPng(pixels, 3, 2);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.toString('ascii', 12, 16)).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(3);
    expect(png.readUInt32BE(20)).toBe(2);
    const idatLength = png.readUInt32BE(33);
    expect(png.toString('ascii', 37, 41)).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    expect([...raw]).toEqual([0, 0, 40, 80, 0, 120, 160, 200]);
    // Each chunk's CRC covers its type and data.
    expect(png.readUInt32BE(41 + idatLength)).toBe(crc32(png.subarray(37, 41 + idatLength)));
  });

  it('refuses pixels that do not match the size', () => {
    expect(() => encodeGreyPng(new Uint8Array(5), 3, 2)).toThrow(/5 bytes for 3×2; expected 6/);
  });

  it('tiles images in a grid with gaps', () => {
    const a = new Uint8Array(4).fill(0);
    const b = new Uint8Array(4).fill(100);
    const grid = tileImages([a, b, a], 2, 2, 2);
    expect(grid.width).toBe(5);
    expect(grid.height).toBe(5);
    expect(grid.pixels[0]).toBe(0);
    expect(grid.pixels[2]).toBe(255);
    expect(grid.pixels[3]).toBe(100);
    expect(grid.pixels[3 * 5]).toBe(0);
  });
});
