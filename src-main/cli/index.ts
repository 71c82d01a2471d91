// First: stops an old Node with a message before better-sqlite3 can crash it.
import '../require-node';
import { main } from './main';
import { quietTfjs } from '../tfjs-quiet';

quietTfjs();

void main(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  isTty: Boolean(process.stdout.isTTY),
}).then((code) => {
  process.exitCode = code;
});
