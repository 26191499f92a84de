/** `slipway schema`: the JSON Schema of slipway.yaml, for editor completion and validation. */
import { Option, type Command } from 'commander';
import { stringifyYaml } from '../../manifest/index.ts';
import { specJsonSchema } from '../../appspec/index.ts';
import type { Io } from '../io.ts';

/** The schema exactly as `slipway schema` prints it (schema/slipway.schema.json is this text). */
export function schemaText(format: 'json' | 'yaml' = 'json'): string {
  const schema = specJsonSchema();
  return format === 'yaml' ? stringifyYaml(schema) : `${JSON.stringify(schema, null, 2)}\n`;
}

export function registerSchema(program: Command, io: Io): void {
  program
    .command('schema')
    .description('print the JSON Schema of slipway.yaml (for editors and other validators)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']).default('json'))
    .addHelpText(
      'after',
      `
The schema is also committed as schema/slipway.schema.json. Point your editor at it with a first
line in slipway.yaml (the YAML language server, e.g. the VS Code YAML extension, reads it):

  # yaml-language-server: $schema=../../schema/slipway.schema.json

Examples:
  slipway schema > slipway.schema.json
  slipway schema -o yaml | less`,
    )
    .action((f: { output: 'json' | 'yaml' }) => {
      io.out(schemaText(f.output));
    });
}
