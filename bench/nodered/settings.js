/**
 * Node-RED settings for the end-to-end benchmark: headless (no editor, no admin API), the flow in
 * flows.json beside this file, no credentials file to encrypt (the flow holds none: the targets'
 * credentials come from LAND_FLOW_CONFIG), nothing fetched from the network, context in memory.
 * The port comes from PORT (0: any free one; the log line "Server now running at ..." names it).
 */
const path = require('node:path');

module.exports = {
    uiPort: Number(process.env.PORT || 0),
    uiHost: '127.0.0.1',
    httpAdminRoot: false,
    httpNodeRoot: '/',
    flowFile: path.join(__dirname, 'flows.json'),
    flowFilePretty: true,
    credentialSecret: false,
    contextStorage: { default: { module: 'memory' } },
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpload: false }, modules: { allowInstall: false } },
    functionExternalModules: false,
    functionTimeout: 0,
    exportGlobalContextKeys: false,
    logging: { console: { level: 'info', metrics: false, audit: false } },
};
