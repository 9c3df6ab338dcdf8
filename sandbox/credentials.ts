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

/** The land system's shared security code (it travels in the callback URL path). */
export const SANDBOX_LAND_CREDENTIALS = {
  securityCode: 'sandbox-land-code',
  office: { code: '000.00.20.H56', name: 'Văn phòng đăng ký đất đai tỉnh Thanh Hóa' },
} as const;

export const SANDBOX_BUSINESS_CREDENTIALS = { username: 'lienthong-h56', password: 'sandbox-password' } as const;

export const SANDBOX_CREDENTIALS = {
  province: SANDBOX_PROVINCE_CREDENTIALS,
  dvcqg: SANDBOX_DVCQG_CREDENTIALS,
  civilStatus: SANDBOX_CIVIL_STATUS_CREDENTIALS,
  land: SANDBOX_LAND_CREDENTIALS,
  business: SANDBOX_BUSINESS_CREDENTIALS,
} as const;

export const SANDBOX_DEFAULT_PORTS = { province: 9101, dvcqg: 9102, civilStatus: 9103, land: 9104, business: 9105 } as const;
