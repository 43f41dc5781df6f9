/** A deliberate type error: status() takes a path, not a number, and its report has no `phase`. */
import { status } from 'klutch-bind-helper';

const report = await status({ kubeconfig: 42 });
console.log(report.phase);
