export * from './canonical';
export * from './codes';
export * from './config';
export * from './status';
export * as province from './targets/province';
export * as dvcqg from './targets/dvcqg';
