/** conditionsOf and the one Established test. */
import t from 'tap';
import { conditionsOf, isEstablished } from '../../../src/kube/conditions.ts';

t.test('Established only when its condition is True', async (t) => {
  t.equal(isEstablished(undefined), false);
  t.equal(isEstablished({ status: { conditions: [{ type: 'NamesAccepted', status: 'True' }] } }), false);
  t.equal(isEstablished({ status: { conditions: [{ type: 'Established', status: 'False' }] } }), false);
  t.equal(
    isEstablished({
      status: {
        conditions: [
          { type: 'NamesAccepted', status: 'True' },
          { type: 'Established', status: 'True' },
        ],
      },
    }),
    true,
  );
  t.same(conditionsOf({ status: { conditions: 'junk' } }), [], 'a malformed status has no conditions');
});
