import t, { type Test } from 'tap'
import { bodyBytes, checkBodySize, MaxRelayDepth, validateBody } from '../../src/protocol/elements.js'
import { Limits } from '../../src/core/limits.js'
import { ElementTypes, type ElementType, type MsgElement } from '../../src/model/message.js'
import { expectError } from './expectError.js'

type Content = Record<string, unknown>

const clone = <T>(v: T): T => structuredClone(v)
const el = (MsgType: string, MsgContent: unknown): Content => ({ MsgType, MsgContent })

const valid: Record<ElementType, Content> = {
  TIMTextElem: { Text: 'hello world' },
  TIMFaceElem: { Index: 1, Data: 'content' },
  TIMLocationElem: { Desc: 'someinfo', Latitude: 29.340656774469956, Longitude: 116.77497920478824 },
  TIMCustomElem: { Data: 'message', Desc: 'notification', Ext: 'url', Sound: 'dingdong.aiff' },
  TIMSoundElem: { Url: 'https://cdn.example/s1', UUID: '1053D4B3', Size: 62351, Second: 1, Download_Flag: 2 },
  TIMImageElem: {
    UUID: '1853095_D610',
    ImageFormat: 1,
    ImageInfoArray: [
      { Type: 1, Size: 1853095, Width: 2448, Height: 3264, URL: 'https://cdn.example/i/0' },
      { Type: 2, Size: 2565240, Width: 0, Height: 0, URL: 'https://cdn.example/i/720' },
      { Type: 3, Size: 12535, Width: 0, Height: 0, URL: 'https://cdn.example/i/198' },
    ],
  },
  TIMFileElem: { Url: 'https://cdn.example/f', UUID: '1053D4B3', FileSize: 1773552, FileName: 'trim.MOV', Download_Flag: 2 },
  TIMVideoFileElem: {
    VideoUrl: 'https://cdn.example/v', VideoUUID: '5da38ba8', VideoSize: 1194603, VideoSecond: 5, VideoFormat: 'mp4',
    VideoDownloadFlag: 2, ThumbUrl: 'https://cdn.example/t', ThumbUUID: '6edaffed', ThumbSize: 13907, ThumbWidth: 720,
    ThumbHeight: 1280, ThumbFormat: 'JPG', ThumbDownloadFlag: 2,
  },
  TIMRelayElem: {
    Title: 'Group chat history',
    MsgNum: 2,
    CompatibleText: 'upgrade to see this',
    AbstractList: ['A: What do you think?', 'B: Great.'],
    MsgList: [
      {
        From_Account: 'A', GroupId: 'group1', MsgSeq: 85, MsgRandom: 3998651049, MsgTimeStamp: 1664437702,
        MsgBody: [el('TIMTextElem', { Text: 'What do you think?' })],
      },
      {
        From_Account: 'B', To_Account: 'A', MsgSeq: 86, MsgRandom: 965790, MsgTimeStamp: 1664437703,
        MsgBody: [el('TIMTextElem', { Text: 'Great.' }), el('TIMCustomElem', { Data: 'x' })], CloudCustomData: 'cc',
      },
    ],
  },
}

t.test('the valid table covers every element type', async (t) => {
  t.same(Object.keys(valid).sort(), [...ElementTypes].sort())
})

t.test('a valid example of each element type passes and comes back equal', async (t) => {
  for (const type of ElementTypes) {
    const body = [el(type, clone(valid[type]))]
    const out = validateBody(clone(body))
    t.same(out, body, type)
    t.not(out[0]!.MsgContent, body[0]!.MsgContent, `${type}: a copy, not the input object`)
  }
})

t.test('minimal examples: only the required fields', async (t) => {
  const minimal: Array<[ElementType, Content]> = [
    ['TIMTextElem', { Text: '' }],
    ['TIMFaceElem', { Index: -3 }],
    ['TIMLocationElem', { Latitude: -90, Longitude: 180 }],
    ['TIMCustomElem', { Data: '' }],
    ['TIMSoundElem', { Url: 'u', UUID: 'x' }],
    ['TIMImageElem', { UUID: 'x', ImageFormat: 255, ImageInfoArray: [{ Type: 3, Width: 1, Height: 1, URL: 'u' }] }],
    ['TIMFileElem', { Url: 'u', UUID: 'x', FileSize: 0, FileName: 'f' }],
    ['TIMVideoFileElem', { VideoUrl: 'v', VideoUUID: 'x', ThumbUrl: 't', ThumbUUID: 'y', ThumbWidth: 0, ThumbHeight: 0 }],
    ['TIMRelayElem', { Title: '', MsgNum: 0, AbstractList: [], JsonMsgKey: 'k' }],
  ]
  t.same(new Set(minimal.map(([type]) => type)), new Set(ElementTypes))
  for (const [type, content] of minimal) {
    t.same(validateBody([el(type, clone(content))]), [el(type, content)], type)
  }
})

t.test('a multi-element body keeps its order', async (t) => {
  const body = [
    el('TIMTextElem', { Text: 'hello' }), el('TIMFaceElem', { Index: 1 }), el('TIMTextElem', { Text: 'world' }),
  ]
  t.same(validateBody(clone(body)), body)
})

// [type, content, field path expected in the detail]. Each type has at least one missing
// required field and one wrong type.
const invalid: Array<[ElementType, Content, string]> = [
  ['TIMTextElem', {}, 'MsgBody[0].MsgContent.Text'],
  ['TIMTextElem', { Text: 5 }, 'MsgBody[0].MsgContent.Text'],
  ['TIMFaceElem', { Data: 'x' }, 'MsgBody[0].MsgContent.Index'],
  ['TIMFaceElem', { Index: 1.5 }, 'MsgBody[0].MsgContent.Index'],
  ['TIMFaceElem', { Index: '1' }, 'MsgBody[0].MsgContent.Index'],
  ['TIMFaceElem', { Index: 2 ** 31 }, 'MsgBody[0].MsgContent.Index'],
  ['TIMFaceElem', { Index: 1, Data: 7 }, 'MsgBody[0].MsgContent.Data'],
  ['TIMLocationElem', { Desc: 'x', Longitude: 1 }, 'MsgBody[0].MsgContent.Latitude'],
  ['TIMLocationElem', { Latitude: 1 }, 'MsgBody[0].MsgContent.Longitude'],
  ['TIMLocationElem', { Latitude: '29.3', Longitude: 1 }, 'MsgBody[0].MsgContent.Latitude'],
  ['TIMLocationElem', { Latitude: 90.0001, Longitude: 1 }, 'MsgBody[0].MsgContent.Latitude'],
  ['TIMLocationElem', { Latitude: 1, Longitude: -180.5 }, 'MsgBody[0].MsgContent.Longitude'],
  ['TIMLocationElem', { Latitude: NaN, Longitude: 1 }, 'MsgBody[0].MsgContent.Latitude'],
  ['TIMLocationElem', { Latitude: 1, Longitude: Infinity }, 'MsgBody[0].MsgContent.Longitude'],
  ['TIMLocationElem', { Latitude: 1, Longitude: 1, Desc: false }, 'MsgBody[0].MsgContent.Desc'],
  ['TIMCustomElem', { Desc: 'push' }, 'MsgBody[0].MsgContent.Data'],
  ['TIMCustomElem', { Data: { a: 1 } }, 'MsgBody[0].MsgContent.Data'],
  ['TIMCustomElem', { Data: 'd', Ext: 1 }, 'MsgBody[0].MsgContent.Ext'],
  ['TIMCustomElem', { Data: 'd', Sound: [] }, 'MsgBody[0].MsgContent.Sound'],
  ['TIMSoundElem', { UUID: 'x', Size: 1 }, 'MsgBody[0].MsgContent.Url'],
  ['TIMSoundElem', { Url: 'u' }, 'MsgBody[0].MsgContent.UUID'],
  ['TIMSoundElem', { Url: '', UUID: 'x' }, 'MsgBody[0].MsgContent.Url'],
  ['TIMSoundElem', { Url: 'u', UUID: 'x', Second: -1 }, 'MsgBody[0].MsgContent.Second'],
  ['TIMSoundElem', { Url: 'u', UUID: 'x', Size: '62351' }, 'MsgBody[0].MsgContent.Size'],
  ['TIMSoundElem', { Url: 'u', UUID: 'x', Download_Flag: '2' }, 'MsgBody[0].MsgContent.Download_Flag'],
  ['TIMImageElem', { ImageFormat: 1, ImageInfoArray: [{ Type: 1, Width: 1, Height: 1, URL: 'u' }] }, 'MsgBody[0].MsgContent.UUID'],
  ['TIMImageElem', { UUID: 'x', ImageInfoArray: [{ Type: 1, Width: 1, Height: 1, URL: 'u' }] }, 'MsgBody[0].MsgContent.ImageFormat'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 5, ImageInfoArray: [{ Type: 1, Width: 1, Height: 1, URL: 'u' }] }, 'MsgBody[0].MsgContent.ImageFormat'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1 }, 'MsgBody[0].MsgContent.ImageInfoArray'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: [] }, 'MsgBody[0].MsgContent.ImageInfoArray'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: {} }, 'MsgBody[0].MsgContent.ImageInfoArray'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: [{ Type: 1, Width: 1, Height: 1 }] }, 'MsgBody[0].MsgContent.ImageInfoArray[0].URL'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: [{ Type: 4, Width: 1, Height: 1, URL: 'u' }] }, 'MsgBody[0].MsgContent.ImageInfoArray[0].Type'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: [{ Width: 1, Height: 1, URL: 'u' }] }, 'MsgBody[0].MsgContent.ImageInfoArray[0].Type'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: [{ Type: 1, Height: 1, URL: 'u' }] }, 'MsgBody[0].MsgContent.ImageInfoArray[0].Width'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: [{ Type: 1, Width: 1, URL: 'u' }] }, 'MsgBody[0].MsgContent.ImageInfoArray[0].Height'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: [{ Type: 1, Width: '1', Height: 1, URL: 'u' }] }, 'MsgBody[0].MsgContent.ImageInfoArray[0].Width'],
  ['TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: ['u'] }, 'MsgBody[0].MsgContent.ImageInfoArray[0]'],
  [
    'TIMImageElem',
    { UUID: 'x', ImageFormat: 1, ImageInfoArray: [{ Type: 1, Width: 1, Height: 1, URL: 'u' }, { Type: 1, Width: 1, Height: 1, URL: 'v' }] },
    'MsgBody[0].MsgContent.ImageInfoArray[1].Type',
  ],
  ['TIMFileElem', { UUID: 'x', FileSize: 1, FileName: 'f' }, 'MsgBody[0].MsgContent.Url'],
  ['TIMFileElem', { Url: 'u', UUID: 'x', FileSize: 1 }, 'MsgBody[0].MsgContent.FileName'],
  ['TIMFileElem', { Url: 'u', UUID: 'x', FileName: 'f' }, 'MsgBody[0].MsgContent.FileSize'],
  ['TIMFileElem', { Url: 'u', UUID: 'x', FileSize: 1.5, FileName: 'f' }, 'MsgBody[0].MsgContent.FileSize'],
  ['TIMFileElem', { Url: 'u', UUID: 9, FileSize: 1, FileName: 'f' }, 'MsgBody[0].MsgContent.UUID'],
  ['TIMFileElem', { Url: 'u', FileSize: 1, FileName: 'f' }, 'MsgBody[0].MsgContent.UUID'],
  ['TIMVideoFileElem', { VideoUUID: 'x', ThumbUrl: 't', ThumbUUID: 'y', ThumbWidth: 0, ThumbHeight: 0 }, 'MsgBody[0].MsgContent.VideoUrl'],
  ['TIMVideoFileElem', { VideoUrl: 'v', VideoUUID: 'x', ThumbUUID: 'y', ThumbWidth: 0, ThumbHeight: 0 }, 'MsgBody[0].MsgContent.ThumbUrl'],
  ['TIMVideoFileElem', { VideoUrl: 'v', VideoUUID: 'x', ThumbUrl: 't', ThumbUUID: 'y', ThumbWidth: 0 }, 'MsgBody[0].MsgContent.ThumbHeight'],
  ['TIMVideoFileElem', { VideoUrl: 'v', VideoUUID: 'x', ThumbUrl: 't', ThumbUUID: 'y', ThumbHeight: 0 }, 'MsgBody[0].MsgContent.ThumbWidth'],
  ['TIMVideoFileElem', { VideoUrl: 'v', ThumbUrl: 't', ThumbUUID: 'y', ThumbWidth: 0, ThumbHeight: 0 }, 'MsgBody[0].MsgContent.VideoUUID'],
  ['TIMVideoFileElem', { VideoUrl: 'v', VideoUUID: 'x', ThumbUrl: 't', ThumbWidth: 0, ThumbHeight: 0 }, 'MsgBody[0].MsgContent.ThumbUUID'],
  [
    'TIMVideoFileElem',
    { VideoUrl: 'v', VideoUUID: 'x', ThumbUrl: 't', ThumbUUID: 'y', ThumbWidth: 0, ThumbHeight: 0, VideoSecond: '5' },
    'MsgBody[0].MsgContent.VideoSecond',
  ],
  [
    'TIMVideoFileElem',
    { VideoUrl: 'v', VideoUUID: 'x', ThumbUrl: 't', ThumbUUID: 'y', ThumbWidth: 0, ThumbHeight: 0, VideoFormat: 4 },
    'MsgBody[0].MsgContent.VideoFormat',
  ],
  ['TIMRelayElem', { MsgNum: 0, AbstractList: [], JsonMsgKey: 'k' }, 'MsgBody[0].MsgContent.Title'],
  ['TIMRelayElem', { Title: 't', AbstractList: [], JsonMsgKey: 'k' }, 'MsgBody[0].MsgContent.MsgNum'],
  ['TIMRelayElem', { Title: 't', MsgNum: 0, JsonMsgKey: 'k' }, 'MsgBody[0].MsgContent.AbstractList'],
  ['TIMRelayElem', { Title: 't', MsgNum: 0, AbstractList: [] }, 'MsgBody[0].MsgContent.MsgList'],
  ['TIMRelayElem', { Title: 't', MsgNum: '2', AbstractList: [], JsonMsgKey: 'k' }, 'MsgBody[0].MsgContent.MsgNum'],
  ['TIMRelayElem', { Title: 't', MsgNum: 0, AbstractList: ['a', 1], JsonMsgKey: 'k' }, 'MsgBody[0].MsgContent.AbstractList[1]'],
  ['TIMRelayElem', { Title: 't', MsgNum: 0, AbstractList: [], JsonMsgKey: 3 }, 'MsgBody[0].MsgContent.JsonMsgKey'],
  ['TIMRelayElem', { Title: 't', MsgNum: 0, AbstractList: [], MsgList: [] }, 'MsgBody[0].MsgContent.MsgList'],
  [
    'TIMRelayElem',
    { Title: 't', MsgNum: 0, AbstractList: [], MsgList: [{ MsgSeq: 1, MsgRandom: 1, MsgTimeStamp: 1, MsgBody: [el('TIMTextElem', { Text: 'x' })] }] },
    'MsgBody[0].MsgContent.MsgList[0].From_Account',
  ],
  [
    'TIMRelayElem',
    { Title: 't', MsgNum: 0, AbstractList: [], MsgList: [{ From_Account: 'a', MsgSeq: 2 ** 32, MsgRandom: 1, MsgTimeStamp: 1, MsgBody: [el('TIMTextElem', { Text: 'x' })] }] },
    'MsgBody[0].MsgContent.MsgList[0].MsgSeq',
  ],
  [
    'TIMRelayElem',
    { Title: 't', MsgNum: 0, AbstractList: [], MsgList: [{ From_Account: 'a', MsgSeq: 1, MsgRandom: 1, MsgTimeStamp: 1 }] },
    'MsgBody[0].MsgContent.MsgList[0].MsgBody',
  ],
  [
    'TIMRelayElem',
    { Title: 't', MsgNum: 0, AbstractList: [], MsgList: [{ From_Account: 'a', MsgSeq: 1, MsgRandom: 1, MsgTimeStamp: 1, MsgBody: [el('TIMTextElem', { Text: 1 })] }] },
    'MsgBody[0].MsgContent.MsgList[0].MsgBody[0].MsgContent.Text',
  ],
]

t.test('each element type rejects missing and mistyped fields with 90002 naming the field', async (t) => {
  t.same(new Set(invalid.map(([type]) => type)), new Set(ElementTypes), 'every type has failing cases')
  for (const [type, content, field] of invalid) {
    expectError(t, () => validateBody([el(type, content)]), 90002, field)
  }
})

t.test('a failing element is named by its index in the body', async (t) => {
  const body = [el('TIMTextElem', { Text: 'ok' }), el('TIMTextElem', { Text: 'ok' }), el('TIMFaceElem', { Index: 'x' })]
  expectError(t, () => validateBody(body), 90002, 'MsgBody[2].MsgContent.Index')
  expectError(t, () => validateBody(body, 'body'), 90002, 'body[2].MsgContent.Index')
})

t.test('body shape: array of 1..N maps with a known MsgType and a MsgContent map', async (t) => {
  const cases: Array<[unknown, string]> = [
    [undefined, 'MsgBody'],
    ['text', 'MsgBody'],
    [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'x' } }, 'MsgBody'],
    [[], 'MsgBody'],
    [['x'], 'MsgBody[0]'],
    [[null], 'MsgBody[0]'],
    [[{ MsgContent: { Text: 'x' } }], 'MsgBody[0].MsgType'],
    [[el('TIMTextElement', { Text: 'x' })], 'MsgBody[0].MsgType'],
    [[el('toString', { Text: 'x' })], 'MsgBody[0].MsgType'],
    [[el('TIMGroupTipElem', {})], 'MsgBody[0].MsgType'],
    [[{ MsgType: 1, MsgContent: {} }], 'MsgBody[0].MsgType'],
    [[{ MsgType: 'TIMTextElem' }], 'MsgBody[0].MsgContent'],
    [[el('TIMTextElem', ['x'])], 'MsgBody[0].MsgContent'],
    [[el('TIMTextElem', 'x')], 'MsgBody[0].MsgContent'],
    [[el('TIMTextElem', new Map([['Text', 'x']]))], 'MsgBody[0].MsgContent'],
  ]
  for (const [body, field] of cases) expectError(t, () => validateBody(body), 90002, field)
})

t.test('more than one TIMCustomElem per message fails, at any nesting level', async (t) => {
  const custom = el('TIMCustomElem', { Data: 'a' })
  t.same(validateBody([custom, el('TIMTextElem', { Text: 'x' })]).length, 2, 'one is fine')
  expectError(t, () => validateBody([custom, el('TIMTextElem', { Text: 'x' }), custom]), 90002, 'MsgBody[2].MsgType')
  const relay = el('TIMRelayElem', {
    Title: 't', MsgNum: 1, AbstractList: [],
    MsgList: [{ From_Account: 'a', MsgSeq: 1, MsgRandom: 1, MsgTimeStamp: 1, MsgBody: [custom, custom] }],
  })
  expectError(t, () => validateBody([relay]), 90002, 'MsgBody[0].MsgContent.MsgList[0].MsgBody[1].MsgType')
  const relayWithOne = el('TIMRelayElem', {
    Title: 't', MsgNum: 1, AbstractList: [],
    MsgList: [{ From_Account: 'a', MsgSeq: 1, MsgRandom: 1, MsgTimeStamp: 1, MsgBody: [custom] }],
  })
  t.equal(validateBody([custom, relayWithOne]).length, 2, 'each nested message counts its own')
})

t.test('unknown keys are dropped, known keys kept', async (t) => {
  const body = [
    { MsgType: 'TIMTextElem', MsgContent: { Text: 'hi', Font: 'bold' }, Extra: 1 },
    {
      MsgType: 'TIMImageElem',
      MsgContent: {
        UUID: 'x', ImageFormat: 1, Thumb: true,
        ImageInfoArray: [{ Type: 1, Width: 1, Height: 2, URL: 'u', Quality: 9 }],
      },
    },
    {
      MsgType: 'TIMRelayElem',
      MsgContent: {
        Title: 't', MsgNum: 1, AbstractList: [],
        MsgList: [{ From_Account: 'a', MsgSeq: 1, MsgRandom: 2, MsgTimeStamp: 3, MsgKey: '1_2_3', MsgBody: [el('TIMTextElem', { Text: 'x', y: 1 })] }],
      },
    },
  ]
  t.same(validateBody(body), [
    el('TIMTextElem', { Text: 'hi' }),
    el('TIMImageElem', { UUID: 'x', ImageFormat: 1, ImageInfoArray: [{ Type: 1, Width: 1, Height: 2, URL: 'u' }] }),
    el('TIMRelayElem', {
      Title: 't', MsgNum: 1, AbstractList: [],
      MsgList: [{ From_Account: 'a', MsgSeq: 1, MsgRandom: 2, MsgTimeStamp: 3, MsgBody: [el('TIMTextElem', { Text: 'x' })] }],
    }),
  ])
})

t.test('null reads as absent: omitted when optional, "required" when required', async (t) => {
  t.same(validateBody([el('TIMFaceElem', { Index: 1, Data: null })]), [el('TIMFaceElem', { Index: 1 })])
  expectError(t, () => validateBody([el('TIMTextElem', { Text: null })]), 90002, 'MsgBody[0].MsgContent.Text: required')
})

t.test('relay: MsgList and JsonMsgKey are exclusive', async (t) => {
  const both = el('TIMRelayElem', { ...valid.TIMRelayElem, JsonMsgKey: 'k' })
  expectError(t, () => validateBody([both]), 90002, 'MsgBody[0].MsgContent')
})

/** A body holding a chain of `levels` relays, each inside the previous one's MsgList. */
function nestedRelay(levels: number): MsgElement[] {
  let body: MsgElement[] = [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'leaf' } }]
  for (let i = 0; i < levels; i++) {
    body = [{
      MsgType: 'TIMRelayElem',
      MsgContent: {
        Title: `level ${levels - i}`, MsgNum: 1, AbstractList: ['x'],
        MsgList: [{ From_Account: 'a', MsgSeq: i, MsgRandom: i, MsgTimeStamp: 1, MsgBody: body }],
      },
    }]
  }
  return body
}

t.test(`relays nest up to ${MaxRelayDepth} levels`, async (t) => {
  t.equal(MaxRelayDepth, 3)
  const ok = nestedRelay(MaxRelayDepth)
  t.same(validateBody(clone(ok)), ok, 'at the limit')
  const deepPath = 'MsgBody[0].MsgContent.MsgList[0].MsgBody[0].MsgContent.MsgList[0].MsgBody[0].MsgContent.MsgList[0].MsgBody[0].MsgContent'
  expectError(t, () => validateBody(nestedRelay(MaxRelayDepth + 1)), 90002, `${deepPath}: TIMRelayElem nested deeper`)
})

t.test('bodyBytes is the UTF-8 length of the JSON MsgBody plus CloudCustomData', async (t) => {
  const body: MsgElement[] = [
    { MsgType: 'TIMTextElem', MsgContent: { Text: 'a "quoted" € 😀 \n \u0001 \ud800' } },
    { MsgType: 'TIMFaceElem', MsgContent: { Index: 1 } },
  ]
  const json = Buffer.byteLength(JSON.stringify(body), 'utf8')
  t.equal(bodyBytes(body), json)
  t.equal(bodyBytes(body, ''), json)
  t.equal(bodyBytes(body, 'é😀'), json + 2 + 4)
  t.equal(bodyBytes(body, 'x\ud800y'), json + 1 + 3 + 1, 'a lone surrogate counts as U+FFFD')
  t.equal(bodyBytes(body, 'x\udc00\ud83d'), json + 1 + 3 + 3)
})

t.test('the 12 KB limit: exactly 12288 bytes pass, 12289 fail with 93000', async (t) => {
  t.equal(Limits.messageBodyBytes, 12288)
  const overhead = bodyBytes([{ MsgType: 'TIMTextElem', MsgContent: { Text: '' } }])
  const text = (n: number): MsgElement[] => [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'x'.repeat(n) } }]

  const atLimit = text(12288 - overhead)
  t.equal(bodyBytes(atLimit), 12288)
  t.equal(checkBodySize(atLimit), 12288)
  expectError(t, () => checkBodySize(text(12289 - overhead)), 93000, '12289 bytes')

  const withData = text(12288 - overhead - 10)
  t.equal(checkBodySize(withData, '0123456789'), 12288, 'CloudCustomData counts')
  expectError(t, () => checkBodySize(withData, '0123456789A'), 93000, '12289 bytes')

  const multiByte = text(12288 - overhead - 3)
  multiByte[0]!.MsgContent.Text = `${'x'.repeat(12288 - overhead - 3)}€`
  t.equal(checkBodySize(multiByte), 12288, 'a 3-byte character counts 3')
  multiByte[0]!.MsgContent.Text = `${'x'.repeat(12288 - overhead - 3)}😀`
  expectError(t, () => checkBodySize(multiByte), 93000, '12289 bytes')
})
