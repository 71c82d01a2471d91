import { main } from './main';

void main(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  isTty: Boolean(process.stdout.isTTY),
}).then((code) => {
  process.exitCode = code;
});
