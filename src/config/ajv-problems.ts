// Ajv validation errors as one readable problem each: where (a dotted path) and what is wrong.
import type { ErrorObject } from 'ajv';

export function describeAjvError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown key "${String(e.params.additionalProperty)}"`;
    case 'required':
      return `${where}: missing required key "${String(e.params.missingProperty)}"`;
    case 'enum':
      return `${where}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not':
      return `${where}: this value is reserved`;
    case 'if':
      return `${where}: does not satisfy the rules for its kind`;
    case 'oneOf':
      return `${where}: name exactly one of user, tenant or group`;
    default:
      return `${where}: ${e.message ?? 'is invalid'}`;
  }
}
