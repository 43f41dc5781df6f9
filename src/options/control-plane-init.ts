/** control-plane init's options, pure: (argv, env) → frozen options. */
import { DATA_SERVICE_NAMES, type DataServiceName } from '../control-plane/catalog.ts';
import { UsageError } from '../errors.ts';
import { didYouMean } from './argv.ts';

export interface InitOptions {
  dataServices: readonly DataServiceName[];
}

export function controlPlaneInitOptions(argv: Record<string, unknown>, _env: NodeJS.ProcessEnv): Readonly<InitOptions> {
  const wanted = ([] as string[])
    .concat(argv['data-services'] as string[])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((s) => !(DATA_SERVICE_NAMES as string[]).includes(s));
  if (unknown.length) {
    const named = unknown.map((u) => {
      const guess = didYouMean(u, DATA_SERVICE_NAMES);
      return `${u}${guess ? ` (did you mean ${guess}?)` : ''}`;
    });
    throw new UsageError(`--data-services: unknown ${named.join(', ')}; choose from ${DATA_SERVICE_NAMES.join(', ')}`);
  }
  if (!wanted.length) throw new UsageError('--data-services: name at least one data service');
  return Object.freeze({ dataServices: Object.freeze(wanted as DataServiceName[]) });
}
