import { parseBlobStoreUrl } from './blob-store-url';

describe('parseBlobStoreUrl', () => {
  it('reads a file:// URL as a local directory', () => {
    expect(parseBlobStoreUrl('file:///var/lib/parley/blobs')).toEqual({
      kind: 'file',
      dir: '/var/lib/parley/blobs',
    });
  });

  it('reads an s3:// URL: bucket, prefix, endpoint, region, path style', () => {
    expect(
      parseBlobStoreUrl(
        's3://parley-media/prod/images/?endpoint=http://127.0.0.1:9300&region=eu-west-1&forcePathStyle=true',
      ),
    ).toEqual({
      kind: 's3',
      bucket: 'parley-media',
      prefix: 'prod/images/',
      endpoint: 'http://127.0.0.1:9300',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(parseBlobStoreUrl('s3://parley-media')).toEqual({
      kind: 's3',
      bucket: 'parley-media',
      prefix: '',
      endpoint: undefined,
      region: 'us-east-1',
      forcePathStyle: false,
    });
  });

  it.each([
    ['http://x', /scheme "http:" is not supported \(supported: file:\/\/\//],
    ['not a url', /not a URL/],
    ['file://remote-host/dir', /must have no host/],
    ['s3://key:secret@bucket', /must not carry credentials/],
    ['s3://Bad_Bucket', /valid bucket name/],
    ['s3://bucket?endpoint=ftp://x', /endpoint must be http/],
    ['s3://bucket?endpoint=http://u:p@host', /endpoint must be http/],
    ['s3://bucket?forcePathStyle=yes', /forcePathStyle must be true or false/],
    ['s3://bucket?acl=public-read', /unknown option "acl"/],
  ])('refuses %j with a clear reason', (url, reason) => {
    expect(() => parseBlobStoreUrl(url)).toThrow(reason);
  });

  it('never repeats the URL (it may carry secrets) in its errors', () => {
    let message = '';
    try {
      parseBlobStoreUrl('s3://AKIA123:hunter2@bucket');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must not carry credentials/);
    expect(message).not.toContain('hunter2');
  });
});
