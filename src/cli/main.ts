// Entry of the `mobileclip-assets` command (bundled to dist/cli.js).
import { version } from '../../package.json';
import { UsageError, oneLine } from './command';
import { commands } from './commands';
import { printLines } from './output';

const NAME = 'mobileclip-assets';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `Usage: ${NAME} <command> [options]`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`${NAME} <command> --help\` for a command's options. \`${NAME} --version\` prints the version.`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    printLines(process.stderr, `${NAME}: unknown command "${name}" (commands: ${commands.map((c) => c.name).join(', ')})`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      printLines(process.stderr, `${NAME} ${command.name}: ${err.message} (see \`${NAME} ${command.name} --help\`)`);
      return 2;
    }
    printLines(process.stderr, `${NAME} ${command.name}: ${oneLine(err)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      printLines(process.stderr, `${NAME}: ${oneLine(err)}`);
      process.exitCode = 1;
    },
  );
}
