/**
 * THE table of S3 REST operations this gateway understands: one row per (method, target,
 * distinguishing sub-resource, distinguishing header). Anything not in here is denied.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 *
 * `query` lists the query parameters that select the row, joined by `&`. The FIRST one is the
 * row's primary sub-resource (what `classify-operation.ts` keys its lookup maps on); the others
 * must be present too (`name=value` also pins the value). `versionId` is a "weak" primary: it
 * selects a row only when no other sub-resource is present (GetObjectTagging?versionId=… is
 * GetObjectTagging, GetObject?versionId=… is a version read).
 */
import type { S3Action } from './actions.js';

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
export type OperationTarget = 'service' | 'bucket' | 'object';
/** Coarse kind of access, for audit and UI: `admin` changes or reveals configuration and permissions. */
export type OperationAccess = 'read' | 'write' | 'list' | 'admin';

interface OperationRowShape {
  readonly name: string;
  readonly method: HttpMethod;
  readonly target: OperationTarget;
  readonly query?: string;
  readonly header?: string;
  readonly action: S3Action;
  readonly access: OperationAccess;
}

const COPY_SOURCE = 'x-amz-copy-source';

export const OPERATIONS = [
  // service
  { name: 'ListBuckets', method: 'GET', target: 'service', action: 'list_buckets', access: 'list' },

  // objects
  { name: 'GetObject', method: 'GET', target: 'object', action: 'get_object', access: 'read' },
  { name: 'GetObject', method: 'GET', target: 'object', query: 'versionId', action: 'get_object_version', access: 'read' },
  { name: 'HeadObject', method: 'HEAD', target: 'object', action: 'head_object', access: 'read' },
  { name: 'HeadObject', method: 'HEAD', target: 'object', query: 'versionId', action: 'get_object_version', access: 'read' },
  { name: 'PutObject', method: 'PUT', target: 'object', action: 'put_object', access: 'write' },
  { name: 'CopyObject', method: 'PUT', target: 'object', header: COPY_SOURCE, action: 'copy_object', access: 'write' },
  { name: 'DeleteObject', method: 'DELETE', target: 'object', action: 'delete_object', access: 'write' },
  { name: 'DeleteObject', method: 'DELETE', target: 'object', query: 'versionId', action: 'delete_object_version', access: 'write' },
  { name: 'DeleteObjects', method: 'POST', target: 'bucket', query: 'delete', action: 'delete_object', access: 'write' },
  { name: 'GetObjectAttributes', method: 'GET', target: 'object', query: 'attributes', action: 'get_object_attributes', access: 'read' },
  { name: 'RestoreObject', method: 'POST', target: 'object', query: 'restore', action: 'restore_object', access: 'write' },
  { name: 'SelectObjectContent', method: 'POST', target: 'object', query: 'select&select-type=2', action: 'select_object_content', access: 'read' },
  { name: 'GetObjectAcl', method: 'GET', target: 'object', query: 'acl', action: 'get_object_acl', access: 'read' },
  { name: 'PutObjectAcl', method: 'PUT', target: 'object', query: 'acl', action: 'put_object_acl', access: 'admin' },
  { name: 'GetObjectTagging', method: 'GET', target: 'object', query: 'tagging', action: 'get_object_tagging', access: 'read' },
  { name: 'PutObjectTagging', method: 'PUT', target: 'object', query: 'tagging', action: 'put_object_tagging', access: 'write' },
  { name: 'DeleteObjectTagging', method: 'DELETE', target: 'object', query: 'tagging', action: 'delete_object_tagging', access: 'write' },
  { name: 'GetObjectRetention', method: 'GET', target: 'object', query: 'retention', action: 'get_object_retention', access: 'read' },
  { name: 'PutObjectRetention', method: 'PUT', target: 'object', query: 'retention', action: 'put_object_retention', access: 'admin' },
  { name: 'GetObjectLegalHold', method: 'GET', target: 'object', query: 'legal-hold', action: 'get_object_legal_hold', access: 'read' },
  { name: 'PutObjectLegalHold', method: 'PUT', target: 'object', query: 'legal-hold', action: 'put_object_legal_hold', access: 'admin' },
  { name: 'GetObjectTorrent', method: 'GET', target: 'object', query: 'torrent', action: 'get_object_torrent', access: 'read' },

  // multipart
  { name: 'CreateMultipartUpload', method: 'POST', target: 'object', query: 'uploads', action: 'create_multipart_upload', access: 'write' },
  { name: 'UploadPart', method: 'PUT', target: 'object', query: 'uploadId&partNumber', action: 'upload_part', access: 'write' },
  { name: 'UploadPartCopy', method: 'PUT', target: 'object', query: 'uploadId&partNumber', header: COPY_SOURCE, action: 'upload_part_copy', access: 'write' },
  { name: 'CompleteMultipartUpload', method: 'POST', target: 'object', query: 'uploadId', action: 'complete_multipart_upload', access: 'write' },
  { name: 'AbortMultipartUpload', method: 'DELETE', target: 'object', query: 'uploadId', action: 'abort_multipart_upload', access: 'write' },
  { name: 'ListParts', method: 'GET', target: 'object', query: 'uploadId', action: 'list_multipart_upload_parts', access: 'list' },
  { name: 'ListMultipartUploads', method: 'GET', target: 'bucket', query: 'uploads', action: 'list_bucket_multipart_uploads', access: 'list' },

  // listing
  { name: 'ListObjects', method: 'GET', target: 'bucket', action: 'list_bucket', access: 'list' },
  { name: 'ListObjectsV2', method: 'GET', target: 'bucket', query: 'list-type=2', action: 'list_bucket', access: 'list' },
  { name: 'ListObjectVersions', method: 'GET', target: 'bucket', query: 'versions', action: 'list_bucket_versions', access: 'list' },

  // buckets
  { name: 'HeadBucket', method: 'HEAD', target: 'bucket', action: 'head_bucket', access: 'read' },
  { name: 'CreateBucket', method: 'PUT', target: 'bucket', action: 'create_bucket', access: 'admin' },
  { name: 'DeleteBucket', method: 'DELETE', target: 'bucket', action: 'delete_bucket', access: 'admin' },
  { name: 'GetBucketLocation', method: 'GET', target: 'bucket', query: 'location', action: 'get_bucket_location', access: 'read' },
  { name: 'GetBucketAcl', method: 'GET', target: 'bucket', query: 'acl', action: 'get_bucket_acl', access: 'admin' },
  { name: 'PutBucketAcl', method: 'PUT', target: 'bucket', query: 'acl', action: 'put_bucket_acl', access: 'admin' },
  { name: 'GetBucketPolicy', method: 'GET', target: 'bucket', query: 'policy', action: 'get_bucket_policy', access: 'admin' },
  { name: 'PutBucketPolicy', method: 'PUT', target: 'bucket', query: 'policy', action: 'put_bucket_policy', access: 'admin' },
  { name: 'DeleteBucketPolicy', method: 'DELETE', target: 'bucket', query: 'policy', action: 'delete_bucket_policy', access: 'admin' },
  { name: 'GetBucketPolicyStatus', method: 'GET', target: 'bucket', query: 'policyStatus', action: 'get_bucket_policy_status', access: 'admin' },
  { name: 'GetBucketTagging', method: 'GET', target: 'bucket', query: 'tagging', action: 'get_bucket_tagging', access: 'admin' },
  { name: 'PutBucketTagging', method: 'PUT', target: 'bucket', query: 'tagging', action: 'put_bucket_tagging', access: 'admin' },
  { name: 'DeleteBucketTagging', method: 'DELETE', target: 'bucket', query: 'tagging', action: 'delete_bucket_tagging', access: 'admin' },
  { name: 'GetBucketVersioning', method: 'GET', target: 'bucket', query: 'versioning', action: 'get_bucket_versioning', access: 'admin' },
  { name: 'PutBucketVersioning', method: 'PUT', target: 'bucket', query: 'versioning', action: 'put_bucket_versioning', access: 'admin' },
  { name: 'GetBucketCors', method: 'GET', target: 'bucket', query: 'cors', action: 'get_bucket_cors', access: 'admin' },
  { name: 'PutBucketCors', method: 'PUT', target: 'bucket', query: 'cors', action: 'put_bucket_cors', access: 'admin' },
  { name: 'DeleteBucketCors', method: 'DELETE', target: 'bucket', query: 'cors', action: 'delete_bucket_cors', access: 'admin' },
  { name: 'GetBucketLifecycleConfiguration', method: 'GET', target: 'bucket', query: 'lifecycle', action: 'get_bucket_lifecycle', access: 'admin' },
  { name: 'PutBucketLifecycleConfiguration', method: 'PUT', target: 'bucket', query: 'lifecycle', action: 'put_bucket_lifecycle', access: 'admin' },
  { name: 'DeleteBucketLifecycle', method: 'DELETE', target: 'bucket', query: 'lifecycle', action: 'delete_bucket_lifecycle', access: 'admin' },
  { name: 'GetBucketEncryption', method: 'GET', target: 'bucket', query: 'encryption', action: 'get_bucket_encryption', access: 'admin' },
  { name: 'PutBucketEncryption', method: 'PUT', target: 'bucket', query: 'encryption', action: 'put_bucket_encryption', access: 'admin' },
  { name: 'DeleteBucketEncryption', method: 'DELETE', target: 'bucket', query: 'encryption', action: 'delete_bucket_encryption', access: 'admin' },
  { name: 'GetObjectLockConfiguration', method: 'GET', target: 'bucket', query: 'object-lock', action: 'get_bucket_object_lock_configuration', access: 'admin' },
  { name: 'PutObjectLockConfiguration', method: 'PUT', target: 'bucket', query: 'object-lock', action: 'put_bucket_object_lock_configuration', access: 'admin' },
  { name: 'GetBucketNotificationConfiguration', method: 'GET', target: 'bucket', query: 'notification', action: 'get_bucket_notification', access: 'admin' },
  { name: 'PutBucketNotificationConfiguration', method: 'PUT', target: 'bucket', query: 'notification', action: 'put_bucket_notification', access: 'admin' },
  { name: 'GetBucketLogging', method: 'GET', target: 'bucket', query: 'logging', action: 'get_bucket_logging', access: 'admin' },
  { name: 'PutBucketLogging', method: 'PUT', target: 'bucket', query: 'logging', action: 'put_bucket_logging', access: 'admin' },
  { name: 'GetBucketWebsite', method: 'GET', target: 'bucket', query: 'website', action: 'get_bucket_website', access: 'admin' },
  { name: 'PutBucketWebsite', method: 'PUT', target: 'bucket', query: 'website', action: 'put_bucket_website', access: 'admin' },
  { name: 'DeleteBucketWebsite', method: 'DELETE', target: 'bucket', query: 'website', action: 'delete_bucket_website', access: 'admin' },
  { name: 'GetBucketReplication', method: 'GET', target: 'bucket', query: 'replication', action: 'get_bucket_replication', access: 'admin' },
  { name: 'PutBucketReplication', method: 'PUT', target: 'bucket', query: 'replication', action: 'put_bucket_replication', access: 'admin' },
  { name: 'DeleteBucketReplication', method: 'DELETE', target: 'bucket', query: 'replication', action: 'delete_bucket_replication', access: 'admin' },
  { name: 'GetBucketRequestPayment', method: 'GET', target: 'bucket', query: 'requestPayment', action: 'get_bucket_request_payment', access: 'admin' },
  { name: 'PutBucketRequestPayment', method: 'PUT', target: 'bucket', query: 'requestPayment', action: 'put_bucket_request_payment', access: 'admin' },
  { name: 'GetBucketOwnershipControls', method: 'GET', target: 'bucket', query: 'ownershipControls', action: 'get_bucket_ownership_controls', access: 'admin' },
  { name: 'PutBucketOwnershipControls', method: 'PUT', target: 'bucket', query: 'ownershipControls', action: 'put_bucket_ownership_controls', access: 'admin' },
  { name: 'DeleteBucketOwnershipControls', method: 'DELETE', target: 'bucket', query: 'ownershipControls', action: 'delete_bucket_ownership_controls', access: 'admin' },
  { name: 'GetPublicAccessBlock', method: 'GET', target: 'bucket', query: 'publicAccessBlock', action: 'get_bucket_public_access_block', access: 'admin' },
  { name: 'PutPublicAccessBlock', method: 'PUT', target: 'bucket', query: 'publicAccessBlock', action: 'put_bucket_public_access_block', access: 'admin' },
  { name: 'DeletePublicAccessBlock', method: 'DELETE', target: 'bucket', query: 'publicAccessBlock', action: 'delete_bucket_public_access_block', access: 'admin' },
  { name: 'GetBucketAccelerateConfiguration', method: 'GET', target: 'bucket', query: 'accelerate', action: 'get_bucket_accelerate_configuration', access: 'admin' },
  { name: 'PutBucketAccelerateConfiguration', method: 'PUT', target: 'bucket', query: 'accelerate', action: 'put_bucket_accelerate_configuration', access: 'admin' },
  // analytics / metrics / inventory / intelligent-tiering: GET with `id` reads one configuration, without lists them.
  { name: 'GetBucketAnalyticsConfiguration', method: 'GET', target: 'bucket', query: 'analytics&id', action: 'get_bucket_analytics_configuration', access: 'admin' },
  { name: 'ListBucketAnalyticsConfigurations', method: 'GET', target: 'bucket', query: 'analytics', action: 'get_bucket_analytics_configuration', access: 'admin' },
  { name: 'PutBucketAnalyticsConfiguration', method: 'PUT', target: 'bucket', query: 'analytics&id', action: 'put_bucket_analytics_configuration', access: 'admin' },
  { name: 'DeleteBucketAnalyticsConfiguration', method: 'DELETE', target: 'bucket', query: 'analytics&id', action: 'delete_bucket_analytics_configuration', access: 'admin' },
  { name: 'GetBucketMetricsConfiguration', method: 'GET', target: 'bucket', query: 'metrics&id', action: 'get_bucket_metrics_configuration', access: 'admin' },
  { name: 'ListBucketMetricsConfigurations', method: 'GET', target: 'bucket', query: 'metrics', action: 'get_bucket_metrics_configuration', access: 'admin' },
  { name: 'PutBucketMetricsConfiguration', method: 'PUT', target: 'bucket', query: 'metrics&id', action: 'put_bucket_metrics_configuration', access: 'admin' },
  { name: 'DeleteBucketMetricsConfiguration', method: 'DELETE', target: 'bucket', query: 'metrics&id', action: 'delete_bucket_metrics_configuration', access: 'admin' },
  { name: 'GetBucketInventoryConfiguration', method: 'GET', target: 'bucket', query: 'inventory&id', action: 'get_bucket_inventory_configuration', access: 'admin' },
  { name: 'ListBucketInventoryConfigurations', method: 'GET', target: 'bucket', query: 'inventory', action: 'get_bucket_inventory_configuration', access: 'admin' },
  { name: 'PutBucketInventoryConfiguration', method: 'PUT', target: 'bucket', query: 'inventory&id', action: 'put_bucket_inventory_configuration', access: 'admin' },
  { name: 'DeleteBucketInventoryConfiguration', method: 'DELETE', target: 'bucket', query: 'inventory&id', action: 'delete_bucket_inventory_configuration', access: 'admin' },
  { name: 'GetBucketIntelligentTieringConfiguration', method: 'GET', target: 'bucket', query: 'intelligent-tiering&id', action: 'get_bucket_intelligent_tiering_configuration', access: 'admin' },
  { name: 'ListBucketIntelligentTieringConfigurations', method: 'GET', target: 'bucket', query: 'intelligent-tiering', action: 'get_bucket_intelligent_tiering_configuration', access: 'admin' },
  { name: 'PutBucketIntelligentTieringConfiguration', method: 'PUT', target: 'bucket', query: 'intelligent-tiering&id', action: 'put_bucket_intelligent_tiering_configuration', access: 'admin' },
  { name: 'DeleteBucketIntelligentTieringConfiguration', method: 'DELETE', target: 'bucket', query: 'intelligent-tiering&id', action: 'delete_bucket_intelligent_tiering_configuration', access: 'admin' },
] as const satisfies readonly OperationRowShape[];

export type OperationName = (typeof OPERATIONS)[number]['name'];

export interface OperationRow extends OperationRowShape {
  readonly name: OperationName;
}

/** Operations whose `prefix` query parameter is what the policy checks (listPrefix). */
export const LIST_OPERATIONS: ReadonlySet<OperationName> = new Set<OperationName>([
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'ListMultipartUploads',
]);

/** Operations that carry x-amz-copy-source and therefore also need read access on the source. */
export const COPY_OPERATIONS: ReadonlySet<OperationName> = new Set<OperationName>(['CopyObject', 'UploadPartCopy']);

/**
 * Query parameters that never change which operation runs: list paging and filters, GetObject
 * response overrides, part numbers, SDK noise (`x-id`), presigned-URL parameters (`X-Amz-*`,
 * SigV2 `AWSAccessKeyId`/`Signature`/`Expires`). Any parameter that is neither one of these nor a
 * sub-resource of the table makes the request unclassifiable (denied): an unknown sub-resource
 * may select an operation on the backend that the policy never saw.
 */
export const NEUTRAL_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'prefix',
  'delimiter',
  'marker',
  'max-keys',
  'encoding-type',
  'continuation-token',
  'fetch-owner',
  'start-after',
  'key-marker',
  'version-id-marker',
  'upload-id-marker',
  'max-uploads',
  'max-parts',
  'part-number-marker',
  'partNumber',
  'max-buckets',
  'bucket-region',
  'max-directory-buckets',
  'response-content-type',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'x-id',
  'AWSAccessKeyId',
  'Signature',
  'Expires',
  // MinIO's ListObjectsV2 extension (`mc ls` asks for user metadata in listings).
  'metadata',
]);
