/**
 * init's values file: it passes the schema for every data service, lists
 * every input (the chosen services uncommented, the others named), holds no
 * secret (only env: references) and is refused until its placeholders are
 * replaced (values.test.ts: placeholdersIn).
 */
import t from 'tap';
import { initValues } from '../../../src/control-plane/init.ts';
import { DATA_SERVICE_NAMES, DEFAULTS, parseValues, settingsOf } from '../../../src/control-plane/values.ts';

t.test('init prints a values file that passes the schema, for every data service', async (t) => {
  for (const ds of DATA_SERVICE_NAMES) {
    const s = settingsOf(parseValues(initValues({ dataServices: [ds] }), 'init'));
    t.same(
      s.dataServices.map((d) => d.name),
      [ds],
    );
  }
  const all = initValues({ dataServices: DATA_SERVICE_NAMES });
  t.same(
    settingsOf(parseValues(all, 'init')).dataServices.map((d) => d.name),
    DATA_SERVICE_NAMES,
    'rendered in catalog order',
  );
  t.notMatch(all, /Others, same shape/, 'no "others" line when all are chosen');
  const one = initValues({ dataServices: ['postgresql'] });
  t.match(one, /# Others, same shape: keyvalue, logme2, mariadb, messaging, mongodb, prometheus, search\./);
  for (const input of [
    'host:',
    'issuerUrl:',
    'clientId:',
    'clientSecret: env:',
    'email:',
    '# issuer:',
    'ingressClass:',
    'url:',
    'username: env:',
    'password: env:',
    'image:',
    'providerAnynines:',
    'configuration:',
    'function:',
    '# configurationName:',
    '# cookieKeys:',
    '# externalAddress:',
    '# caCertificate:',
  ]) {
    t.ok(one.includes(input), `init lists ${input}`);
  }
  t.notMatch(one, /binderClusterRole|providerKubernetes/, 'init no longer offers the two fields that had no effect');
});

t.test(
  'init holds no secret: every credential is an env: reference named after its service and endpoint, and the ' +
    "defaults are the code's",
  async (t) => {
    const text = initValues({ dataServices: ['mariadb'] });
    const creds = [...text.matchAll(/^ +(username|password|clientSecret): (.*)$/gm)].map((m) => m[2]);
    t.same(creds, [
      'env:BACKEND_OIDC_CLIENT_SECRET',
      'env:MARIADB_SERVICE_BROKER_USERNAME',
      'env:MARIADB_SERVICE_BROKER_PASSWORD',
      'env:MARIADB_BACKUP_MANAGER_USERNAME',
      'env:MARIADB_BACKUP_MANAGER_PASSWORD',
    ]);
    t.match(text, new RegExp(`image: ${DEFAULTS.backendImage.replaceAll('.', '\\.')}`));
    t.match(text, /^ {2}mariadb: {3}# a9s MariaDB, exported as mariadbinstances$/m);
    t.notMatch(text, /^ {2}postgresql:/m, 'a service not chosen is not a section');
  },
);
