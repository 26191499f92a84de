import type { Command } from 'commander';
import type { Io } from '../io.ts';
import { registerCluster } from './cluster.ts';
import { registerDeploy } from './deploy.ts';
import { registerDiff } from './diff.ts';
import { registerStatus } from './status.ts';
import { registerHistory } from './history.ts';
import { registerRollback } from './rollback.ts';
import { registerDestroy } from './destroy.ts';
import { registerSchema } from './schema.ts';
import { registerValidate } from './validate.ts';
import { registerCi } from './ci.ts';
import { registerLint } from './lint.ts';
import { registerRender } from './render.ts';
import { registerImport } from './import.ts';

/**
 * Every command registers itself here: one line per command file. Each command file is thin:
 * parse flags, call an engine through its folder's index.ts, print.
 */
export function registerCommands(program: Command, io: Io): void {
  const registrations: ((p: Command, io: Io) => void)[] = [registerCluster, registerDeploy, registerDiff, registerStatus, registerHistory, registerRollback, registerDestroy, registerSchema, registerValidate, registerCi, registerImport, registerRender, registerLint];
  for (const register of registrations) register(program, io);
}
