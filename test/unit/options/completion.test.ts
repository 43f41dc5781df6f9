/** completion's options: what argv and env become, and its usage errors. */
import t from 'tap';
import { completionOptions } from '../../../src/options/completion.ts';

t.test('completion', async (t) => {
  t.same(completionOptions({ shell: 'zsh' }, {}), { shell: 'zsh' });
  t.same(completionOptions({}, {}), { shell: 'bash' });
});
