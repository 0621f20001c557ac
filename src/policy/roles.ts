/**
 * IAM-style user roles and what they allow on S3. A user's key gets the role's actions on
 * the user's scopes (bucket + prefixes), or on every bucket when the user has none.
 *   Reader    list and download
 *   Writer    Reader + create, upload, delete (objects, multipart, tagging, new buckets)
 *   SuperUser everything, and the admin API
 */
import type { S3Action } from '../s3/actions.js';
import type { AccessScope } from './scope.js';

export const USER_ROLES = ['Reader', 'Writer', 'SuperUser'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export function isUserRole(value: string): value is UserRole {
  return (USER_ROLES as readonly string[]).includes(value);
}

/** A user's narrowing of their role: a bucket (or glob) and optional key prefixes. */
export interface UserScope {
  readonly bucket: string;
  readonly prefixes: readonly string[];
}

const READER_ACTIONS: readonly S3Action[] = [
  'list_buckets',
  'head_bucket',
  'get_bucket_location',
  'list_bucket',
  'list_bucket_versions',
  'list_bucket_multipart_uploads',
  'list_multipart_upload_parts',
  'get_object',
  'get_object_version',
  'head_object',
  'get_object_attributes',
  'get_object_tagging',
];

const WRITER_ACTIONS: readonly S3Action[] = [
  ...READER_ACTIONS,
  'put_object',
  'copy_object',
  'delete_object',
  'delete_object_version',
  'create_multipart_upload',
  'upload_part',
  'upload_part_copy',
  'complete_multipart_upload',
  'abort_multipart_upload',
  'put_object_tagging',
  'delete_object_tagging',
  'create_bucket',
];

export function roleActions(role: UserRole): AccessScope['actions'] {
  switch (role) {
    case 'Reader':
      return READER_ACTIONS;
    case 'Writer':
      return WRITER_ACTIONS;
    case 'SuperUser':
      return ['*'];
  }
}

/** The S3 scopes a user's key carries: the role's actions on each of the user's scopes. */
export function buildUserAccessScopes(role: UserRole, scopes: readonly UserScope[]): AccessScope[] {
  const actions = roleActions(role);
  if (scopes.length === 0) return [{ bucket: '*', prefixes: [], actions }];
  return scopes.map((s) => ({ bucket: s.bucket, prefixes: s.prefixes, actions }));
}

/** Only SuperUsers may use the admin API beyond their own session. */
export function canAdminister(role: UserRole): boolean {
  return role === 'SuperUser';
}
