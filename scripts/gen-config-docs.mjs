#!/usr/bin/env node
/**
 * Generates the configuration reference (docs/configuration.md) and the JSON Schema for editors
 * (schema/vrrp-config.schema.json) from the configuration's own sources, so that neither is written by hand:
 *
 * - types, limits, defaults and which fields are required come from the zod schemas in src/config.ts (and
 *   src/run-config.ts, the file `vrrp run` reads, where it exists), through zod's `z.toJSONSchema` (input side: a
 *   field with a default is optional);
 * - what each field means comes from the TSDoc of the matching TypeScript declarations in the same files
 *   (`VrrpConfig`, the members of `TrackerConfig`, `NotifyConfig`, `SyncGroupConfig`, `RunConfig`, …), read with the
 *   TypeScript compiler API — or from a zod `.describe()` / `.meta({ description })` where one is given, which wins.
 *
 *   node scripts/gen-config-docs.mjs           write both files
 *   node scripts/gen-config-docs.mjs --check   exit 1 naming every file that differs from what would be written
 *
 * test/examples/config-docs.test.ts runs `--check`, so a schema change without regenerated files fails the tests.
 *
 * The schemas: src/config.ts and src/run-config.ts keep their zod schemas private. An exported `vrrpConfigSchema`
 * (or `configSchema`), `notifySchema`, `syncGroupSchema`, `globalSchema` or `runConfigSchema` is used when there is
 * one; otherwise the module-level constant of that name is read through gen-config-docs.hooks.mjs, which loads those
 * two files with their module-level constants exported. The file `vrrp run` reads — one instance, or
 * `{ instances, groups, global }` — is composed below from those pieces unless one of them exports a
 * `runConfigSchema`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { register } from 'node:module';
import ts from 'typescript';

register('./gen-config-docs.hooks.mjs', import.meta.url);
const { z } = await import('zod');
const ROOT = new URL('..', import.meta.url);
const CONFIG_SOURCE = 'src/config.ts';
const RUN_CONFIG_SOURCE = 'src/run-config.ts';
/** The modules the schemas and their TSDoc come from; src/run-config.ts only where it exists. */
const SOURCES = [CONFIG_SOURCE, ...(await readFile(new URL(RUN_CONFIG_SOURCE, ROOT)).then(() => [RUN_CONFIG_SOURCE], () => []))];
/** @type {Record<string, unknown>[]} */
const modules = await Promise.all(SOURCES.map((source) => import(`../${source}`)));
const MARKDOWN_PATH = 'docs/configuration.md';
const JSON_SCHEMA_PATH = 'schema/vrrp-config.schema.json';
/** A name, not an address: editors find the file by its path (in their settings, or a config's `"$schema"`). */
const SCHEMA_ID = 'urn:vrrp:schema:vrrp-config';
const GENERATOR = 'scripts/gen-config-docs.mjs';
/** What a config's `"$schema"` key is for. */
const SCHEMA_KEY_DESCRIPTION = 'The JSON Schema of this file, for editors (e.g. `./node_modules/vrrp/schema/vrrp-config.schema.json`); vrrp ignores it.';

// ---------------------------------------------------------------------------------------------------------------
// The zod schemas

/** @param {unknown} value */
const isZod = (value) => typeof value === 'object' && value !== null && '_zod' in value;

/** The first of `names` that a source module exports, or keeps at module level, as a zod schema. */
function schemaNamed(...names) {
  for (const name of names) {
    for (const module of modules) {
      for (const key of [name, `__local_${name}`]) if (isZod(module[key])) return module[key];
    }
  }
  return undefined;
}

const instanceSchema = schemaNamed('vrrpConfigSchema', 'configSchema', 'schema');
if (!instanceSchema) {
  throw new Error(`${CONFIG_SOURCE} has no instance schema this generator can find (export it as vrrpConfigSchema)`);
}
const trackerSchema = schemaNamed('trackerSchema');
const notifySchema = schemaNamed('notifySchema');
const syncGroupSchema = schemaNamed('syncGroupSchema');
const globalSchema = schemaNamed('globalSchema');

/**
 * Where zod keeps `.describe()` / `.meta()` data, and where the parts get their ids (which become `$defs` in the JSON
 * Schema and sections of the page). The global one, so that descriptions given in src/config.ts are read too.
 */
const registry = z.globalRegistry;
/** Gives `schema` an id (a `$defs` entry), keeping any metadata it has. */
const named = (schema, id) => registry.add(schema, { ...registry.get(schema), id });
/** The TypeScript declaration whose TSDoc describes each part. */
const TS_ROOTS = { instance: 'VrrpConfig', tracker: 'TrackerConfig', notify: 'NotifyConfig', syncGroup: 'SyncGroupConfig' };
/** The TypeScript declaration of the file's long form, `{ instances, groups, global }`. */
const TS_RUN_FILE = 'RunConfig';
/** Descriptions of the long form's fields where no TSDoc gives one. */
const FILE_FIELD_FALLBACKS = {
  $schema: SCHEMA_KEY_DESCRIPTION,
  instances: 'The instances this process runs.',
  groups: "Sync groups: instances that fail over together (keepalived's `vrrp_sync_group`).",
  global: "Process-wide settings, as `vrrp import-keepalived` writes them from keepalived's `global_defs` (see keepalived.md).",
};

/**
 * Whether `vrrp run` takes a `"$schema"` key (the way editors find a file's schema) in each shape of the file: asked
 * of its own validator, `resolveRunConfig`, so that the JSON Schema never promises a key the command refuses.
 */
const schemaKey = (() => {
  const resolveRunConfig = modules.map((module) => module.resolveRunConfig).find((value) => typeof value === 'function');
  const minimal = { interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1'] };
  const takes = (file) => {
    if (!resolveRunConfig) return false;
    try {
      resolveRunConfig(file);
      return true;
    } catch {
      return false;
    }
  };
  return { single: takes({ $schema: 'x', ...minimal }), long: takes({ $schema: 'x', instances: [minimal] }) };
})();

/** @param {any} schema @param {Record<string, any>} shape */
const extend = (schema, shape) => (typeof schema.safeExtend === 'function' ? schema.safeExtend(shape) : schema.extend(shape));

/**
 * The file `vrrp run` reads. Composed here while no source exports a `runConfigSchema`: one instance (with its
 * notify scripts), or `{ instances, groups, global }` — the shape `vrrp import-keepalived` writes.
 */
function runFileSchema() {
  const exported = schemaNamed('runConfigSchema');
  if (exported) return exported;
  const withNotify = notifySchema ? extend(instanceSchema, { notify: notifySchema.optional() }) : instanceSchema;
  // The key goes on the instance itself, so that a one-instance file stays "an instance" (one definition, one table).
  const instance = schemaKey.single ? extend(withNotify, { $schema: z.string().optional().meta({ description: SCHEMA_KEY_DESCRIPTION }) }) : withNotify;
  named(instance, 'instance');
  if (trackerSchema) named(trackerSchema, 'tracker');
  if (notifySchema) named(notifySchema, 'notify');
  if (syncGroupSchema) named(syncGroupSchema, 'syncGroup');
  const many = z
    .object({
      ...(schemaKey.long ? { $schema: z.string().optional() } : {}),
      instances: z.array(instance).min(1),
      ...(syncGroupSchema ? { groups: z.array(syncGroupSchema).optional() } : {}),
      global: globalSchema ? globalSchema.optional() : z.object({}).catchall(z.unknown()).optional(),
    })
    .strict();
  return z.union([instance, many]);
}

const fileSchema = runFileSchema();

/** The JSON Schema of the file; branches only the library can use (a `function` tracker) carry `x-library-only`. */
function jsonSchemaOf(schema) {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    metadata: registry,
    // A function (a `function` tracker's `check`) has no JSON form: it is marked, and so is the object holding it.
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema._zod.def.type === 'custom') jsonSchema['x-function'] = true;
    },
  });
  walk(json, (node) => {
    if (node.type === 'object' && Object.values(node.properties ?? {}).some((property) => property['x-function'])) node['x-library-only'] = true;
  });
  return json;
}

/** Calls `visit` on every schema object in `node`, depth first. */
function walk(node, visit) {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  visit(node);
  for (const value of Object.values(node)) walk(value, visit);
}

// ---------------------------------------------------------------------------------------------------------------
// Descriptions from TSDoc

const program = ts.createProgram(SOURCES.map((source) => new URL(source, ROOT).pathname), {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();
const sourceExports = SOURCES.flatMap((source) => {
  const file = program.getSourceFile(new URL(source, ROOT).pathname);
  const symbol = file && checker.getSymbolAtLocation(file);
  return symbol ? checker.getExportsOfModule(symbol) : [];
});

/** The declared type of an export of a source module, or undefined. */
function declaredType(name) {
  const symbol = sourceExports.find((candidate) => candidate.name === name);
  return symbol ? checker.getDeclaredTypeOfSymbol(symbol) : undefined;
}

/** TSDoc of a symbol as one line of Markdown: `{@link X.y}` becomes `X.y`, blank lines become spaces. */
function docOf(symbol) {
  if (!symbol) return '';
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker));
  return text.replace(/\{@link\s+([^}\s|]+)[^}]*\}/g, '`$1`').replace(/\s+/g, ' ').trim();
}

/** The object types a TS type may be: unions opened, arrays to their elements, `undefined` and primitives dropped. */
function objectTypes(type) {
  if (!type) return [];
  if (type.isUnion()) return type.types.flatMap(objectTypes);
  if (checker.isArrayType(type)) return objectTypes(checker.getTypeArguments(type)[0]);
  return type.getFlags() & ts.TypeFlags.Object && type.getProperties().length > 0 ? [type] : [];
}

/** The TS object type that matches a JSON Schema object: by its `type` constant, else by the most shared fields. */
function matchingType(type, node) {
  const candidates = objectTypes(type);
  const names = Object.keys(node.properties ?? {});
  const discriminant = node.properties?.type?.const;
  if (discriminant !== undefined) {
    const found = candidates.find((candidate) => {
      const property = candidate.getProperty('type');
      const propertyType = property && checker.getTypeOfSymbol(property);
      return propertyType?.isLiteral() && propertyType.value === discriminant;
    });
    if (found) return found;
  }
  let best;
  let bestScore = 0;
  for (const candidate of candidates) {
    const score = names.filter((name) => candidate.getProperty(name)).length;
    if (score > bestScore) [best, bestScore] = [candidate, score];
  }
  return best;
}

/** Fields without a description anywhere, reported on stderr so that someone adds the TSDoc. */
const undocumented = [];

/** Adds `description` to `node` and everything under it from `type`'s TSDoc (a description already there wins). */
function describe(node, type, path) {
  if (typeof node !== 'object' || node === null || node.$ref) return;
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const branch of node[key] ?? []) describe(branch, type, path);
  if (node.type === 'array' && node.items) describe(node.items, type, `${path}[]`);
  if (node.type !== 'object' || !node.properties) return;
  const match = matchingType(type, node);
  if (match && !node.description) {
    const doc = docOf(match.aliasSymbol ?? match.getSymbol());
    if (doc) node.description = doc;
  }
  for (const [name, property] of Object.entries(node.properties)) {
    const symbol = match?.getProperty(name);
    if (!property.description && !property.$ref) {
      const doc = docOf(symbol);
      if (doc) property.description = doc;
      else undocumented.push(`${path}.${name}`);
    }
    describe(property, symbol ? checker.getNonNullableType(checker.getTypeOfSymbol(symbol)) : undefined, `${path}.${name}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The JSON Schema for editors

const full = jsonSchemaOf(fileSchema);
for (const [id, def] of Object.entries(full.$defs ?? {})) {
  const root = TS_ROOTS[id] && declaredType(TS_ROOTS[id]);
  if (root && !def.description) {
    const doc = docOf(root.aliasSymbol ?? root.getSymbol());
    if (doc) def.description = doc;
  }
  describe(def, root, id);
}
describe(full, declaredType(TS_RUN_FILE), 'file');
for (const branch of full.anyOf ?? []) {
  for (const [name, property] of Object.entries(branch.properties ?? {})) {
    if (!property.description && !property.$ref && FILE_FIELD_FALLBACKS[name]) {
      property.description = FILE_FIELD_FALLBACKS[name];
      const index = undocumented.indexOf(`file.${name}`);
      if (index >= 0) undocumented.splice(index, 1);
    }
  }
}

/** The file's schema without what JSON cannot hold (branches marked `x-library-only`). */
function forEditors(schema) {
  const copy = structuredClone(schema);
  walk(copy, (node) => {
    for (const key of ['anyOf', 'oneOf']) {
      if (Array.isArray(node[key])) node[key] = node[key].filter((branch) => !branch['x-library-only']);
    }
  });
  return {
    $schema: copy.$schema,
    $id: SCHEMA_ID,
    title: 'vrrp run configuration',
    description: `The file \`vrrp run\` reads: one VRRP instance, or { "instances": [ … ] }. Generated from ${SOURCES.join(' and ')} by ${GENERATOR}; the reference is docs/configuration.md.`,
    ...Object.fromEntries(Object.entries(copy).filter(([key]) => key !== '$schema')),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The Markdown reference

/** GitHub's anchor for a heading. */
const slug = (heading) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (value) => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
const jsonValue = (value) => code(JSON.stringify(value));

/** One section of the page: a heading, a description and a table of an object's fields. */
class Page {
  /** @type {{ heading: string, level: number, body: string[] }[]} */
  sections = [];
  /** Object schemas already given a section, by identity. */
  seen = new Map();

  /** Adds a section for an object schema (once) and returns a link to it. */
  objectSection(node, heading, level, intro = [], prefix = '') {
    const known = this.seen.get(node);
    if (known) return `[${known}](#${slug(known)})`;
    this.seen.set(node, heading);
    const section = { heading, level, body: [] };
    this.sections.push(section);
    section.body.push(...intro);
    if (node.description) section.body.push(node.description, '');
    section.body.push(...this.table(node, prefix, level));
    return `[${heading}](#${slug(heading)})`;
  }

  /**
   * The table of an object's fields; objects inside get sections of their own after this one, headed by their path
   * below `prefix` (`garp`, `virtualAddresses[]`).
   */
  table(node, prefix, level) {
    const required = new Set(node.required ?? []);
    const rows = ['| field | type | default | description |', '|---|---|---|---|'];
    const pending = [];
    for (const [name, property] of Object.entries(node.properties ?? {})) {
      const type = this.typeOf(property, prefix ? `${prefix}.${name}` : name, level, pending);
      const fallback = required.has(name) ? '**required**' : '—';
      const defaultText = property.default !== undefined ? jsonValue(property.default) : fallback;
      const description = property.description ?? (property.$ref ? this.defDescription(property.$ref) : '');
      rows.push(`| ${code(name)} | ${cell(type)} | ${cell(defaultText)} | ${cell(description)} |`);
    }
    const lines = [...rows, ''];
    for (const run of pending) run();
    return lines;
  }

  defDescription(ref) {
    return this.defs[ref.replace('#/$defs/', '')]?.description ?? '';
  }

  /** A field's type in words; an object inside it is queued for a section of its own and linked. */
  typeOf(node, path, level, pending) {
    if (node.$ref) {
      const id = node.$ref.replace('#/$defs/', '');
      const heading = DEF_HEADINGS[id] ?? id;
      return `[${id}](#${slug(heading)})`;
    }
    if (node['x-function']) return 'function (library only)';
    if (node.const !== undefined) return jsonValue(node.const);
    if (node.enum) return node.enum.map((value) => jsonValue(value)).join(' or ');
    const branches = node.anyOf ?? node.oneOf;
    if (branches) {
      const objects = branches.filter((branch) => branch.type === 'object' && branch.properties);
      return branches
        .map((branch) => {
          if (!objects.includes(branch)) return this.typeOf(branch, path, level, pending);
          const discriminant = branch.properties.type?.const;
          const heading = objects.length > 1 && discriminant !== undefined ? `${code(path)} with ${code(`type: "${discriminant}"`)}` : `${code(path)} object`;
          pending.push(() => this.objectSection(branch, heading, Math.min(level + 1, 4), [], path));
          return `[object](#${slug(heading)})`;
        })
        .join(' or ');
    }
    switch (node.type) {
      case 'integer':
      case 'number': {
        const word = node.type === 'integer' ? 'integer' : 'number';
        if (node.minimum !== undefined && node.maximum !== undefined) return `${word} ${node.minimum}…${node.maximum}`;
        if (node.minimum !== undefined) return `${word} ≥ ${node.minimum}`;
        if (node.maximum !== undefined) return `${word} ≤ ${node.maximum}`;
        return word;
      }
      case 'string': {
        const limits = [];
        if (node.minLength !== undefined && node.maxLength !== undefined) limits.push(`${node.minLength}…${node.maxLength} characters`);
        else if (node.maxLength !== undefined) limits.push(`at most ${node.maxLength} characters`);
        else if (node.minLength === 1) limits.push('not empty');
        else if (node.minLength !== undefined) limits.push(`at least ${node.minLength} characters`);
        if (node.pattern) limits.push(`matching ${code(node.pattern)}`);
        return limits.length > 0 ? `string (${limits.join(', ')})` : 'string';
      }
      case 'boolean':
        return 'boolean';
      case 'array': {
        const items = node.prefixItems
          ? `[${node.prefixItems.map((item) => this.typeOf(item, path, level, pending)).join(', ')}]`
          : `array of ${node.items ? this.typeOf(node.items, `${path}[]`, level, pending) : 'anything'}`;
        const counts =
          node.minItems !== undefined && node.maxItems !== undefined
            ? node.minItems === node.maxItems
              ? ''
              : ` (${node.minItems}…${node.maxItems})`
            : node.minItems !== undefined
              ? ` (at least ${node.minItems})`
              : '';
        return `${items}${counts}`;
      }
      case 'object': {
        if (!node.properties || Object.keys(node.properties).length === 0) return 'object';
        const heading = code(path);
        pending.push(() => this.objectSection(node, heading, Math.min(level + 1, 4), [], path));
        return `[object](#${slug(heading)})`;
      }
      default:
        return 'any JSON value';
    }
  }
}

/** Headings of the parts; their order is the page's. */
const DEF_HEADINGS = { instance: 'Instance', tracker: 'Trackers', notify: 'Notify scripts', syncGroup: 'Sync groups' };

function markdown(schema) {
  const page = new Page();
  page.defs = schema.$defs ?? {};
  const defs = page.defs;

  // The file.
  const fileIntro = [
    '`vrrp run FILE` reads JSON in one of two shapes:',
    '',
    ...(schema.anyOf ?? []).map((branch) =>
      branch.$ref
        ? `- one instance: an object with the [instance](#${slug(DEF_HEADINGS.instance)}) fields below;`
        : '- several: an object with these fields:',
    ),
    '',
  ];
  const fileSection = { heading: 'The file `vrrp run` reads', level: 2, body: fileIntro };
  page.sections.push(fileSection);
  const many = (schema.anyOf ?? []).find((branch) => !branch.$ref && branch.properties);
  if (many) {
    page.seen.set(many, fileSection.heading);
    fileSection.body.push(...page.table(many, '', 2));
  }

  // The parts, in DEF_HEADINGS order, then any other.
  const ids = [...Object.keys(DEF_HEADINGS).filter((id) => defs[id]), ...Object.keys(defs).filter((id) => !DEF_HEADINGS[id])];
  for (const id of ids) {
    const def = defs[id];
    const heading = DEF_HEADINGS[id] ?? id;
    if (id === 'tracker') trackerSections(page, def, heading);
    else page.objectSection(def, heading, 2, id === 'instance' ? INSTANCE_INTRO : []);
  }

  const toc = page.sections.filter((section) => section.level === 2).map((section) => `- [${section.heading}](#${slug(section.heading)})`);
  const body = page.sections.flatMap((section) => [`${'#'.repeat(section.level)} ${section.heading}`, '', ...section.body]);
  const text = [...HEADER, ...toc, '', ...body].join('\n');
  return `${text.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

const INSTANCE_INTRO = [
  '`new VrrpInstance(config)` takes these fields as a JavaScript object, but for `notify` and `$schema`, which only `vrrp run` reads (a library user attaches notify scripts with `attachNotify`); `vrrp run` takes them all as JSON.',
  'Besides the limits in the table, fields are checked together: the addresses are parsed and must be one family,',
  'VRRPv2 intervals are whole seconds and VRRPv3 ones steps of 10 ms, authentication exists in VRRPv2 only, an',
  'address owner (priority 255) cannot have weighted trackers, tracker names are unique.',
  '',
];

/** The trackers: the fields most types share once, then each type with its own fields. */
function trackerSections(page, def, heading) {
  const branches = (def.oneOf ?? def.anyOf ?? [def]).filter((branch) => branch.properties);
  page.seen.set(def, heading);
  const section = { heading, level: 2, body: [] };
  page.sections.push(section);
  if (def.description) section.body.push(def.description, '');
  section.body.push(
    'How weights, `fall` / `rise`, `initFail` and the types behave, with keepalived\'s semantics and where we differ:',
    '[trackers.md](trackers.md).',
    '',
  );
  // A field is common when most types have it with the same schema; a type that differs shows its own row.
  const counts = new Map();
  for (const branch of branches) {
    for (const [name, property] of Object.entries(branch.properties)) {
      if (name === 'type') continue;
      const key = `${name}\u0000${JSON.stringify(property)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const common = new Map();
  for (const [key, count] of counts) {
    if (count * 2 <= branches.length) continue;
    const [name, json] = key.split('\u0000');
    if (!common.has(name)) common.set(name, JSON.parse(json));
  }
  // Required where every type that shares the field's schema requires it.
  const sharing = (name) => branches.filter((branch) => JSON.stringify(branch.properties[name]) === JSON.stringify(common.get(name)));
  const commonRequired = [...common.keys()].filter((name) => sharing(name).every((branch) => (branch.required ?? []).includes(name)));
  const commonNode = { type: 'object', properties: Object.fromEntries(common), required: commonRequired };
  const types = branches.map((branch) => branch.properties.type?.const).filter((type) => type !== undefined);
  section.body.push(`Each tracker is an object with a \`type\`: ${types.map((type) => `[${code(type)}](#${slug(`${code(type)} tracker`)})`).join(', ')}.`, '');
  section.body.push('### Fields most tracker types share', '', ...page.table(commonNode, '', 3));
  for (const branch of branches) {
    const type = branch.properties.type?.const;
    const own = { ...branch, properties: Object.fromEntries(Object.entries(branch.properties).filter(([name, property]) => name !== 'type' && JSON.stringify(common.get(name)) !== JSON.stringify(property))) };
    const missing = [...common.keys()].filter((name) => !(name in branch.properties));
    const intro = [];
    if (branch['x-library-only']) intro.push('**Library only**: a function cannot be written in JSON, so `vrrp run` and the JSON Schema do not offer this type.', '');
    const shared = missing.length === 0 ? 'the shared fields' : `the shared fields except ${missing.map((name) => code(name)).join(', ')}`;
    intro.push(`\`{ "type": "${type}", … }\` — ${shared}, and:`, '');
    page.seen.set(branch, `${code(type)} tracker`);
    const typeSection = { heading: `${code(type)} tracker`, level: 3, body: [] };
    page.sections.push(typeSection);
    if (branch.description) typeSection.body.push(branch.description, '');
    typeSection.body.push(...intro);
    if (Object.keys(own.properties).length > 0) typeSection.body.push(...page.table(own, '', 3));
    else typeSection.body.push('(no fields of its own)', '');
  }
}

/** How to point an editor at the JSON Schema: by a `"$schema"` key where `vrrp run` takes one, else by settings. */
function editorHelp() {
  const example = '{ "interface": "eth0", "vrid": 51, "priority": 101, "virtualAddresses": ["192.168.1.100/24"] }';
  const settings = [
    'VS Code, in `.vscode/settings.json` (JetBrains IDEs: Settings › Languages & Frameworks › Schemas and DTDs › JSON',
    'Schema Mappings):',
    '',
    '```jsonc',
    '"json.schemas": [{ "fileMatch": ["vrrp.json", "*.vrrp.json"], "url": "./node_modules/vrrp/schema/vrrp-config.schema.json" }]',
    '```',
    '',
  ];
  if (!schemaKey.long && !schemaKey.single) {
    return [
      '**In an editor**: map the schema to your config files, and the editor completes and checks fields as you type.',
      ...settings,
      '(`vrrp run` refuses fields it does not know, a `"$schema"` key included, so name the schema in the editor\'s',
      'settings rather than in the file.)',
      '',
    ];
  }
  const inFile = schemaKey.long
    ? ['{', '  "$schema": "./node_modules/vrrp/schema/vrrp-config.schema.json",', `  "instances": [${example}]`, '}']
    : [`{ "$schema": "./node_modules/vrrp/schema/vrrp-config.schema.json", ${example.slice(2)}`];
  return [
    '**In an editor**: name the schema in the file, and the editor completes and checks fields as you type (VS Code',
    'and JetBrains IDEs read `"$schema"`; `vrrp run` ignores it):',
    '',
    '```json',
    ...inFile,
    '```',
    '',
    'Or map the schema to your config files in the editor\'s settings.',
    ...settings,
  ];
}

const HEADER = [
  '# Configuration reference',
  '',
  `<!-- Generated by ${GENERATOR} from ${SOURCES.join(' and ')}: do not edit. Run \`node ${GENERATOR}\` after changing them. -->`,
  '',
  'Every field of a `vrrp` configuration: its type, limits and default from the zod schemas, and what it means from',
  `the TSDoc beside them (${SOURCES.join(', ')}). This page and the JSON Schema for editors,`,
  `[${JSON_SCHEMA_PATH}](../${JSON_SCHEMA_PATH}), are generated by \`node ${GENERATOR}\`; a test fails when either`,
  'is out of date.',
  '',
  'A bad configuration is refused whole: `new VrrpInstance(config)` throws a `ConfigError` whose `issues` list every',
  'problem with its path (`trackers.0.weight: must be at most 253`), and `vrrp run` prints the same list and exits 2.',
  'Unknown fields are errors too, so a typo never passes silently.',
  '',
  ...editorHelp(),
  'Coming from keepalived? `vrrp import-keepalived keepalived.conf` writes this format, and',
  '[keepalived.md](keepalived.md) maps every keepalived keyword to its field here.',
  '',
];

// ---------------------------------------------------------------------------------------------------------------
// Write or check

const outputs = {
  [MARKDOWN_PATH]: markdown(full),
  [JSON_SCHEMA_PATH]: `${JSON.stringify(forEditors(full), null, 2)}\n`,
};

if (undocumented.length > 0) {
  process.stderr.write(`${GENERATOR}: no TSDoc or description for ${[...new Set(undocumented)].join(', ')}\n`);
}

const check = process.argv.includes('--check');
const stale = [];
for (const [path, text] of Object.entries(outputs)) {
  const url = new URL(path, ROOT);
  const current = await readFile(url, 'utf8').catch(() => undefined);
  if (current === text) continue;
  stale.push(path);
  if (!check) {
    await mkdir(new URL('.', url), { recursive: true });
    await writeFile(url, text);
  }
}
if (check && stale.length > 0) {
  process.stderr.write(`${stale.join(' and ')} ${stale.length === 1 ? 'is' : 'are'} out of date with ${SOURCES.join(' and ')}: run node ${GENERATOR}\n`);
  process.exit(1);
}
if (!check) process.stdout.write(stale.length > 0 ? `wrote ${stale.join(', ')}\n` : 'up to date\n');
