import t from 'tap';
import { namespaceNameProblems } from '../../../src/validate/names.ts';

t.test('accepts DNS-1123 labels within the budget', async (t) => {
  t.same(namespaceNameProblems('team-a', 'cluster-ab12c'), []);
  // 63 - len('cluster-ab12c') - 1 = 49 characters left
  t.same(namespaceNameProblems('a'.repeat(49), 'cluster-ab12c'), []);
});

t.test('names the problem and the budget', async (t) => {
  t.match(namespaceNameProblems('Team_A', 'cluster-ab12c')[0], /not a DNS-1123 label/);
  t.match(namespaceNameProblems('-a', 'c')[0], /not a DNS-1123 label/);
  t.match(namespaceNameProblems('', 'c')[0], /empty/);
  const p = namespaceNameProblems('a'.repeat(50), 'cluster-ab12c');
  t.equal(p.length, 1);
  t.match(p[0], /at most 49 are left for the name \(1 too many\)/);
});
