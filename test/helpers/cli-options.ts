/** A command line as the flow sees it: options/<verb>.ts (argv → the library's input), then lib/'s mapping. */
import { statusFlowOptions } from '../../src/lib/status.ts';
import { unbindFlowOptions } from '../../src/lib/unbind.ts';
import type { StatusCli } from '../../src/options/status.ts';
import type { UnbindCli } from '../../src/options/unbind.ts';

export const statusFlow = (cli: StatusCli) => statusFlowOptions(cli.input, cli.format);
export const unbindFlow = (cli: UnbindCli) => unbindFlowOptions(cli.input, cli.format);
