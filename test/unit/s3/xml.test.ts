import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildDeleteObjectsXml,
  buildDeleteResultXml,
  buildErrorXml,
  buildListBucketsXml,
  buildLocationConstraintXml,
  decodeXmlText,
  parseDeleteObjectsXml,
  parseListAllMyBucketsXml,
} from '../../../src/s3/xml.js';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

describe('builders', () => {
  it('buildErrorXml renders the AWS shape, escaped, with extra elements', () => {
    expect(
      buildErrorXml({
        code: 'NoSuchKey',
        message: 'The resource <you> requested does not exist & "never" did',
        resource: '/b/a&b',
        requestId: '4442587FB7D0A2F9',
        extra: { Key: "it's", 'bad name': 'skipped', '<x>': 'skipped' },
      }),
    ).toBe(
      `${DECL}<Error><Code>NoSuchKey</Code><Message>The resource &lt;you&gt; requested does not exist &amp; &quot;never&quot; did</Message>` +
        `<Resource>/b/a&amp;b</Resource><RequestId>4442587FB7D0A2F9</RequestId><Key>it&apos;s</Key></Error>`,
    );
  });

  it('buildErrorXml leaves Resource out when not given', () => {
    expect(buildErrorXml({ code: 'AccessDenied', message: 'Access Denied', requestId: 'R' })).toBe(
      `${DECL}<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R</RequestId></Error>`,
    );
  });

  it('buildListBucketsXml', () => {
    expect(
      buildListBucketsXml({
        ownerId: 'owner-1',
        ownerName: 'A & B',
        buckets: [
          { name: 'alpha', creationDate: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)) },
          { name: 'beta', creationDate: '2020-01-01T00:00:00.000Z' },
        ],
      }),
    ).toBe(
      `${DECL}<ListAllMyBucketsResult xmlns="${NS}"><Owner><ID>owner-1</ID><DisplayName>A &amp; B</DisplayName></Owner><Buckets>` +
        '<Bucket><Name>alpha</Name><CreationDate>2024-01-02T03:04:05.006Z</CreationDate></Bucket>' +
        '<Bucket><Name>beta</Name><CreationDate>2020-01-01T00:00:00.000Z</CreationDate></Bucket>' +
        '</Buckets></ListAllMyBucketsResult>',
    );
  });

  it('buildListBucketsXml with no buckets round-trips through the parser', () => {
    const xml = buildListBucketsXml({ ownerId: 'o', ownerName: 'n', buckets: [] });
    expect(parseListAllMyBucketsXml(xml)).toEqual({ owner: { id: 'o', displayName: 'n' }, buckets: [] });
  });

  it('buildDeleteResultXml', () => {
    expect(
      buildDeleteResultXml({
        deleted: [{ key: 'a<b' }, { key: 'v', versionId: '1', deleteMarker: true, deleteMarkerVersionId: 'dm' }],
        errors: [{ key: 'secret/x', code: 'AccessDenied', message: 'Access Denied' }, { key: 'y', versionId: '2', code: 'InternalError', message: 'oops' }],
      }),
    ).toBe(
      `${DECL}<DeleteResult xmlns="${NS}">` +
        '<Deleted><Key>a&lt;b</Key></Deleted>' +
        '<Deleted><Key>v</Key><VersionId>1</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>dm</DeleteMarkerVersionId></Deleted>' +
        '<Error><Key>secret/x</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>' +
        '<Error><Key>y</Key><VersionId>2</VersionId><Code>InternalError</Code><Message>oops</Message></Error>' +
        '</DeleteResult>',
    );
  });

  it('buildLocationConstraintXml: empty for us-east-1, the region otherwise', () => {
    expect(buildLocationConstraintXml('us-east-1')).toBe(`${DECL}<LocationConstraint xmlns="${NS}"/>`);
    expect(buildLocationConstraintXml('')).toBe(`${DECL}<LocationConstraint xmlns="${NS}"/>`);
    expect(buildLocationConstraintXml('eu-west-1')).toBe(`${DECL}<LocationConstraint xmlns="${NS}">eu-west-1</LocationConstraint>`);
  });
});

describe('parseDeleteObjectsXml', () => {
  it('parses the AWS example', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="${NS}">
  <Object>
    <Key>sample1.txt</Key>
  </Object>
  <Object>
    <Key>sample2.txt</Key>
    <VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>
  </Object>
  <Quiet>true</Quiet>
</Delete>`;
    expect(parseDeleteObjectsXml(xml)).toEqual({
      quiet: true,
      objects: [{ key: 'sample1.txt' }, { key: 'sample2.txt', versionId: 'OYcLXagmS.WaD..oyH4KRguB95_YhLs7' }],
    });
  });

  it.each([
    ['0001', '0001'],
    ['1e5', '1e5'],
    ['true', 'true'],
    ['  spaced  ', '  spaced  '],
    ['\ttab', '\ttab'],
    ['a&amp;b&lt;c&gt;d&quot;e&apos;f', 'a&b<c>d"e\'f'],
    ['&#x1F600;&#65;&#13;', '😀A\r'],
    ['line\r\nbreak', 'line\nbreak'],
    ['<![CDATA[a&amp;<b>]]>', 'a&amp;<b>'],
    ['日本語/ключ/🙂', '日本語/ключ/🙂'],
    ['dir//a/../b', 'dir//a/../b'],
    ['&amp;#65;', '&#65;'],
  ])('keeps the key %j as %j', (raw, key) => {
    expect(parseDeleteObjectsXml(`<Delete><Object><Key>${raw}</Key></Object></Delete>`).objects).toEqual([{ key }]);
  });

  it('accepts namespace prefixes, Quiet false, extra Object fields', () => {
    const xml = `<s3:Delete xmlns:s3="${NS}"><s3:Object><s3:Key>k</s3:Key><s3:ETag>"e"</s3:ETag></s3:Object><s3:Quiet>false</s3:Quiet></s3:Delete>`;
    expect(parseDeleteObjectsXml(xml)).toEqual({ quiet: false, objects: [{ key: 'k' }] });
  });

  it('accepts 1000 objects, refuses 1001', () => {
    const body = (n: number) => `<Delete>${'<Object><Key>k</Key></Object>'.repeat(n)}</Delete>`;
    expect(parseDeleteObjectsXml(body(1000)).objects).toHaveLength(1000);
    expect(() => parseDeleteObjectsXml(body(1001))).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
  });

  it.each([
    ['not xml', 'not xml'],
    ['empty', ''],
    ['unclosed', '<Delete><Object><Key>k</Key></Delete>'],
    ['wrong root', '<Remove><Object><Key>k</Key></Object></Remove>'],
    ['two roots', '<Delete><Object><Key>k</Key></Object></Delete><Delete/>'],
    ['extra root', '<Delete><Object><Key>k</Key></Object></Delete><Other/>'],
    ['no objects', '<Delete><Quiet>true</Quiet></Delete>'],
    ['missing key', '<Delete><Object><VersionId>1</VersionId></Object></Delete>'],
    ['empty key', '<Delete><Object><Key></Key></Object></Delete>'],
    ['two keys', '<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>'],
    ['nested key', '<Delete><Object><Key><x>a</x></Key></Object></Delete>'],
    ['bad quiet', '<Delete><Object><Key>k</Key></Object><Quiet>yes</Quiet></Delete>'],
    ['html entity', '<Delete><Object><Key>a&nbsp;b</Key></Object></Delete>'],
    ['bare ampersand', '<Delete><Object><Key>a & b</Key></Object></Delete>'],
    ['invalid char ref', '<Delete><Object><Key>a&#0;b</Key></Object></Delete>'],
    ['raw control character', '<Delete><Object><Key>a\u0001b</Key></Object></Delete>'],
    ['doctype', '<!DOCTYPE d [<!ENTITY x "boom">]><Delete><Object><Key>&x;</Key></Object></Delete>'],
  ])('refuses %s with MalformedXML', (_label, xml) => {
    expect(() => parseDeleteObjectsXml(xml)).toThrow(expect.objectContaining({ code: 'MalformedXML', status: 400 }));
  });

  it('round-trips through buildDeleteObjectsXml', () => {
    const request = {
      quiet: true,
      objects: [{ key: ' 0001 ' }, { key: 'a&b<c>"\'' }, { key: '😀/x', versionId: 'v&1' }, { key: 'tab\there' }],
    };
    expect(parseDeleteObjectsXml(buildDeleteObjectsXml(request))).toEqual(request);
    expect(parseDeleteObjectsXml(buildDeleteObjectsXml({ quiet: false, objects: [{ key: 'k' }] }))).toEqual({ quiet: false, objects: [{ key: 'k' }] });
  });
});

describe('parseListAllMyBucketsXml', () => {
  it('parses an upstream answer', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="${NS}">
  <Owner><ID>bcaf1ffd86f41161ca5fb16fd081034f</ID><DisplayName>webfile</DisplayName></Owner>
  <Buckets>
    <Bucket><Name>0001</Name><CreationDate>2006-02-03T16:45:09.000Z</CreationDate></Bucket>
    <Bucket>
      <Name>samples</Name>
      <CreationDate>2006-02-03T16:41:58.000Z</CreationDate>
    </Bucket>
  </Buckets>
</ListAllMyBucketsResult>`;
    expect(parseListAllMyBucketsXml(xml)).toEqual({
      owner: { id: 'bcaf1ffd86f41161ca5fb16fd081034f', displayName: 'webfile' },
      buckets: [
        { name: '0001', creationDate: '2006-02-03T16:45:09.000Z' },
        { name: 'samples', creationDate: '2006-02-03T16:41:58.000Z' },
      ],
    });
  });

  it('handles a missing owner and an empty bucket list', () => {
    expect(parseListAllMyBucketsXml('<ListAllMyBucketsResult><Buckets>\n</Buckets></ListAllMyBucketsResult>')).toEqual({ owner: undefined, buckets: [] });
    expect(parseListAllMyBucketsXml('<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>')).toEqual({ owner: undefined, buckets: [] });
    expect(parseListAllMyBucketsXml('<ListAllMyBucketsResult></ListAllMyBucketsResult>')).toEqual({ owner: undefined, buckets: [] });
  });

  it.each(['', '<Error><Code>AccessDenied</Code></Error>', '<ListAllMyBucketsResult><Buckets><Bucket><Name></Name></Bucket></Buckets></ListAllMyBucketsResult>', '<ListAllMyBucketsResult>'])(
    'refuses %j with BadGateway',
    (xml) => {
      expect(() => parseListAllMyBucketsXml(xml)).toThrow(expect.objectContaining({ code: 'BadGateway' }));
    },
  );
});

describe('decodeXmlText', () => {
  it.each([
    ['plain', 'plain'],
    ['&lt;&#60;&#x3c;&#X3C;', undefined],
    ['&lt;&#60;&#x3c;', '<<<'],
    ['&#xD800;', undefined],
    ['&#1114112;', undefined],
    ['&;', undefined],
  ])('%j → %j', (raw, decoded) => {
    expect(decodeXmlText(raw)).toBe(decoded);
  });
});

describe('DeleteObjects round trip (property)', () => {
  // Any text XML 1.0 can carry: what the policy checks must be exactly what goes upstream.
  const xmlChar = fc
    .integer({ min: 0x9, max: 0x10ffff })
    .filter((c) => c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000)
    .map((c) => String.fromCodePoint(c));
  const special = fc.constantFrom('&', '<', '>', '"', "'", ' ', '\r', '\n', '\t', '\r\n', ']]>', '&amp;', '&#13;', '/', '0', '1e5', '😀');
  const text = fc.array(fc.oneof(xmlChar, special), { minLength: 1, maxLength: 20 }).map((parts) => parts.join(''));
  const entry = fc.record({ key: text }, { requiredKeys: ['key'] });
  const versioned = fc.record({ key: text, versionId: text });

  it('parse(build(request)) equals the request', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.oneof(entry, versioned), { minLength: 1, maxLength: 20 }), (quiet, objects) => {
        const request = { quiet, objects };
        expect(parseDeleteObjectsXml(buildDeleteObjectsXml(request))).toEqual(request);
      }),
      { numRuns: 300 },
    );
  });

  it('keys echoed in a DeleteResult survive a parse', () => {
    fc.assert(
      fc.property(text, (key) => {
        const xml = buildDeleteResultXml({ deleted: [], errors: [{ key, code: 'AccessDenied', message: 'Access Denied' }] });
        const echoed = xml.replace(/^[\s\S]*<Error><Key>/, '<Delete><Object><Key>').replace(/<\/Key>[\s\S]*$/, '</Key></Object></Delete>');
        expect(parseDeleteObjectsXml(echoed).objects[0]?.key).toBe(key);
      }),
      { numRuns: 300 },
    );
  });
});
