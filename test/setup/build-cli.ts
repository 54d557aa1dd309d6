import { execFileSync } from 'node:child_process';

/** The CLI tests run `cli/bin.js` as a user does, so they need the built dist/ of this source. */
export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}
