// Draws resources/icon.png, the app icon: a 2-D latent grid fading from the prior's centre (a nod to the manifold
// view). Run once with `node scripts/make-icon.mjs`; the PNG is committed.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const size = 256;
const png = new PNG({ width: size, height: size });
const radius = 48;
for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    const i = (y * size + x) * 4;
    // Rounded square background.
    const dx = Math.max(radius - x, x - (size - 1 - radius), 0);
    const dy = Math.max(radius - y, y - (size - 1 - radius), 0);
    const inside = Math.hypot(dx, dy) <= radius;
    // A Gaussian bump over a grid of cells, like decoding a grid over the prior.
    const u = (x - size / 2) / (size / 4);
    const v = (y - size / 2) / (size / 4);
    const density = Math.exp(-(u * u + v * v) / 2);
    const cell = Math.floor(x / 32) + Math.floor(y / 32);
    const gridLine = x % 32 < 2 || y % 32 < 2;
    const shade = gridLine ? 0.15 : 0.25 + 0.75 * density * (cell % 2 === 0 ? 1 : 0.85);
    png.data[i] = Math.round(30 + 60 * shade);
    png.data[i + 1] = Math.round(40 + 150 * shade);
    png.data[i + 2] = Math.round(90 + 165 * shade);
    png.data[i + 3] = inside ? 255 : 0;
  }
}
writeFileSync(fileURLToPath(new URL('../resources/icon.png', import.meta.url)), PNG.sync.write(png));
