/**
 * keepalived.conf support: parse it (`parseKeepalivedConf`), convert it to the configuration `vrrp run` takes
 * (`keepalivedToConfig`), or both from a file on disk (`importKeepalivedConf`). See docs/keepalived.md.
 */
export {
  parseKeepalivedConf,
  splitKeepalivedWords,
  positionPath,
  KeepalivedSyntaxError,
  type KeepalivedConf,
  type KeepalivedStatement,
  type KeepalivedPosition,
  type KeepalivedIssue,
  type KeepalivedParseOptions,
  type KeepalivedIncludeResult,
} from './parse.js';
export {
  keepalivedToConfig,
  type KeepalivedConvertOptions,
  type KeepalivedImport,
  type ImportedRunConfig,
  type ImportedInstanceConfig,
  type ImportedGroupConfig,
  type ImportedGlobalConfig,
  type ImportedNotify,
  type ImportedTracker,
  type ImportedTrackerCommon,
  type ImportedExecTracker,
  type ImportedProcessTracker,
  type ImportedFileTracker,
  type ImportedInterfaceTracker,
} from './convert.js';
export {
  loadKeepalivedConf,
  importKeepalivedConf,
  isKeepalivedConfText,
  globFiles,
  expandBraces,
  programRunnable,
  readRouteTableNames,
  type KeepalivedLoadOptions,
} from './load.js';
export { printKeepalivedConf, type KeepalivedStatementText } from './print.js';
