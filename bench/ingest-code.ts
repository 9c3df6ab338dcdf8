/**
 * What the benchmarks send as the land system: the security code the ingest benchmark's server
 * expects, and land callback bodies. In a module of its own: importing them from ingest-server.ts
 * would start that server in the load generator's process.
 */
export const BENCH_SECURITY_CODE = 'bench-security-code';

/** A land reception (`TiepNhanHoSo`) of one dossier, received at `receivedAt` (yyyy-MM-ddTHH:mm:ss, UTC). */
export const landReception = (soBienNhan: string, receivedAt: string) => ({
  SoBienNhan: soBienNhan,
  MaHoSoMotCua: null,
  NguoiTiepNhan: 'Lê Thị Hoa',
  NgayTiepNhan: receivedAt,
  NgayHenTra: '2026-03-16T10:00:00',
  TinhId: 38,
  HuyenId: 380,
  XaId: 16066,
  DiaChiTaiSan: 'Thôn 3, xã Quảng Phú, tỉnh Thanh Hóa',
  ThongTinNguoiNopDon: { HoTen: 'Nguyễn Văn An', SoChungMinh: '038085001234', DiaChiChiTiet: 'Thôn 3, xã Quảng Phú', SoDienThoai: '0912345678', Email: null },
  ThongTinQuyTrinh: { MaQuyTrinh: 'DKBD-CN', TenQuyTrinh: 'Đăng ký biến động do chuyển nhượng' },
  ThongTinThuaDat: [{ SoThuTuThua: '125', SoHieuBanDo: '12', DienTich: 215.5, DiaChiChiTiet: 'Thôn 3, xã Quảng Phú' }],
  DanhSachGiayToDinhKem: [{ TenGiayTo: 'Hợp đồng chuyển nhượng', SoBanChinh: 1, SoBanSao: 0, TapTin: { name: 'hop-dong.pdf', url: 'https://vbdlis.example/files/8812' } }],
  KenhTiepNhan: 1,
});

/** A land processing step (`ChuyenHoSo`) of one dossier, at `at`. */
export const landStep = (soBienNhan: string, content: string, at: string) => ({
  SoBienNhan: soBienNhan,
  MaCanBoChuyen: 'hoalt',
  MaCanBoNhan: 'tuanpv',
  MaTrangThai: 'THAM_DINH',
  NoiDungXuLy: content,
  NgayChuyen: at,
  HanXuLy: '2026-03-06T10:00:00',
});
