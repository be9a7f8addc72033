/**
 * TFLite model metadata (metadata_schema.fbs in tflite-support, identifier "M001") for an image
 * model with float input: MediaPipe tasks refuse a float image input without
 * NormalizationOptions ("requires specifying NormalizationOptions metadata").
 */
import { FbTable, field, layoutFlatbuffer, refs, scalar, scalars, str, table } from './flatbuffer.js';

export const METADATA_IDENTIFIER = 'M001';

const MODEL_METADATA = { name: 0, description: 1, version: 2, subgraphMetadata: 3, author: 4, license: 5, minParserVersion: 7 } as const;
const SUBGRAPH_METADATA = { name: 0, inputTensorMetadata: 2, outputTensorMetadata: 3 } as const;
const TENSOR_METADATA = { name: 0, description: 1, content: 3, processUnits: 4, stats: 5 } as const;
const CONTENT = { propertiesType: 0, properties: 1 } as const;
const PROCESS_UNIT = { optionsType: 0, options: 1 } as const;
/** Union members (1-based, in declaration order). */
const CONTENT_PROPERTIES = { FeatureProperties: 1, ImageProperties: 2 } as const;
const PROCESS_UNIT_OPTIONS = { NormalizationOptions: 1 } as const;
const COLOR_SPACE_RGB = 1;

export interface ImageModelMetadata {
  name: string;
  description: string;
  /** Input normalisation: (pixel - mean) / std per channel. */
  mean: number;
  std: number;
  /** Names of the model's outputs, in order (one feature entry each). */
  outputs: string[];
  author: string;
  license: string;
}

export function imageModelMetadata(meta: ImageModelMetadata): Uint8Array {
  const input = table(
    field(TENSOR_METADATA.name, str('image')),
    field(TENSOR_METADATA.description, str('RGB image')),
    field(
      TENSOR_METADATA.content,
      table(scalar(CONTENT.propertiesType, 'u8', CONTENT_PROPERTIES.ImageProperties), field(CONTENT.properties, table(scalar(0, 'i8', COLOR_SPACE_RGB)))),
    ),
    field(
      TENSOR_METADATA.processUnits,
      refs([
        table(
          scalar(PROCESS_UNIT.optionsType, 'u8', PROCESS_UNIT_OPTIONS.NormalizationOptions),
          field(PROCESS_UNIT.options, table(field(0, scalars('f32', [meta.mean])), field(1, scalars('f32', [meta.std])))),
        ),
      ]),
    ),
    field(TENSOR_METADATA.stats, table(field(0, scalars('f32', [(255 - meta.mean) / meta.std])), field(1, scalars('f32', [(0 - meta.mean) / meta.std])))),
  );
  const outputs = meta.outputs.map((name) =>
    table(
      field(TENSOR_METADATA.name, str(name)),
      field(TENSOR_METADATA.content, table(scalar(CONTENT.propertiesType, 'u8', CONTENT_PROPERTIES.FeatureProperties), field(CONTENT.properties, table()))),
    ),
  );
  const root = table(
    field(MODEL_METADATA.name, str(meta.name)),
    field(MODEL_METADATA.description, str(meta.description)),
    field(MODEL_METADATA.version, str('1')),
    field(
      MODEL_METADATA.subgraphMetadata,
      refs([table(field(SUBGRAPH_METADATA.name, str(meta.name)), field(SUBGRAPH_METADATA.inputTensorMetadata, refs([input])), field(SUBGRAPH_METADATA.outputTensorMetadata, refs(outputs)))]),
    ),
    field(MODEL_METADATA.author, str(meta.author)),
    field(MODEL_METADATA.license, str(meta.license)),
    field(MODEL_METADATA.minParserVersion, str('1.0.0')),
  );
  return layoutFlatbuffer(root, METADATA_IDENTIFIER);
}

/** What the bundle tests check: the input's normalisation and colour space. */
export interface ReadImageMetadata {
  name: string;
  mean: number[];
  std: number[];
  colorSpace: number;
  outputCount: number;
}

export function readImageModelMetadata(bytes: Uint8Array): ReadImageMetadata {
  const root = FbTable.root(bytes, METADATA_IDENTIFIER);
  const sg = root.tables(MODEL_METADATA.subgraphMetadata)[0];
  const input = sg?.tables(SUBGRAPH_METADATA.inputTensorMetadata)[0];
  if (!sg || !input) throw new Error('metadata has no input tensor metadata');
  const content = input.table(TENSOR_METADATA.content);
  const unit = input.tables(TENSOR_METADATA.processUnits)[0];
  const norm = unit?.u8(PROCESS_UNIT.optionsType) === PROCESS_UNIT_OPTIONS.NormalizationOptions ? unit.table(PROCESS_UNIT.options) : null;
  return {
    name: root.string(MODEL_METADATA.name) ?? '',
    mean: norm?.f32s(0) ?? [],
    std: norm?.f32s(1) ?? [],
    colorSpace: content?.u8(CONTENT.propertiesType) === CONTENT_PROPERTIES.ImageProperties ? (content.table(CONTENT.properties)?.i8(0) ?? 0) : 0,
    outputCount: sg.vector(SUBGRAPH_METADATA.outputTensorMetadata)?.length ?? 0,
  };
}
