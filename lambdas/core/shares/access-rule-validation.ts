import { isIP } from 'node:net';
import { InvalidRequestError } from '../errors.ts';
import type { AccessLevel, AccessType } from '../model.ts';
import type { AllowAccessRequest } from '../services.ts';

const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam::\d{12}:(root|(role|user)\/[\w+=,.@\/-]{1,512})|sts::\d{12}:assumed-role\/[\w+=,.@-]{1,64}\/[\w+=,.@-]{1,64})$/;

const ACCESS_TYPES: readonly AccessType[] = ['ip', 'user', 'cert', 'cephx'];
const ACCESS_LEVELS: readonly AccessLevel[] = ['rw', 'ro'];

/** Manila's access-rule checks (manila/api/v2/shares.py _validate_*_access). */
export function validateAllowAccess(request: AllowAccessRequest, ids: { shareId: string }): void {
  if (!ACCESS_TYPES.includes(request.access_type)) {
    throw new InvalidRequestError(`Invalid access type ${String(request.access_type)}: one of ${ACCESS_TYPES.join(', ')}`, ids);
  }
  if (!ACCESS_LEVELS.includes(request.access_level)) {
    throw new InvalidRequestError(`Invalid or unsupported share access level: ${String(request.access_level)}.`, ids);
  }
  const to = request.access_to;
  if (typeof to !== 'string' || to.length === 0) throw new InvalidRequestError('access_to is required', ids);
  switch (request.access_type) {
    case 'ip':
      if (!isIpOrCidr(to)) throw new InvalidRequestError(`Invalid IP access rule: ${to} is not an IP address or CIDR.`, ids);
      break;
    case 'user':
      // A user or group name, or an IAM principal ARN (drivers that enforce rules with IAM, such as EFS).
      if (!/^[\w.@$\\-]{4,255}$/u.test(to) && !IAM_PRINCIPAL_ARN.test(to)) {
        throw new InvalidRequestError(`Invalid user or group name ${to}: 4 to 255 characters of letters, digits, . @ - _ $ \\`, ids);
      }
      break;
    case 'cert':
      if (to.trim().length === 0 || to.length > 64) throw new InvalidRequestError('Invalid certificate common name: 1 to 64 characters.', ids);
      break;
    case 'cephx':
      if (!/^[^,;\s]{1,255}$/.test(to) || to === 'admin') throw new InvalidRequestError(`Invalid cephx identifier ${to}.`, ids);
      break;
  }
  for (const [k, v] of Object.entries(request.metadata ?? {})) {
    if (typeof v !== 'string' || k.length === 0 || k.length > 255 || v.length > 1023) {
      throw new InvalidRequestError(`Invalid access rule metadata ${k}`, ids);
    }
  }
}

function isIpOrCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
