/**
 * Default sandbox credentials and ports. Not secrets: the simulators bind to loopback and exist so
 * that a newcomer (and the zero-configuration gateway) can talk to them without configuring anything.
 */
export const SANDBOX_PROVINCE_CREDENTIALS = { clientId: 'lienthong', clientSecret: 'sandbox-secret' } as const;

export const SANDBOX_DVCQG_CREDENTIALS = {
  username: 'lienthong-h56',
  password: 'sandbox-password',
  madonvi: '000.00.00.H56',
  dstcode: 'DVCQG-H56',
  provinceCode: 'H56',
} as const;

export const SANDBOX_CIVIL_STATUS_CREDENTIALS = { userName: 'lienthong', password: 'sandbox-password' } as const;

export const SANDBOX_CREDENTIALS = {
  province: SANDBOX_PROVINCE_CREDENTIALS,
  dvcqg: SANDBOX_DVCQG_CREDENTIALS,
  civilStatus: SANDBOX_CIVIL_STATUS_CREDENTIALS,
} as const;

export const SANDBOX_DEFAULT_PORTS = { province: 9101, dvcqg: 9102, civilStatus: 9103 } as const;
