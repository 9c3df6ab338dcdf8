import type { RunningSandbox } from '../../sandbox';
import { BUSINESS_PROCEDURES, NATIONAL_CATALOG } from '../../sandbox/catalog';
import { checkSource, epochSecond, vnTimes, type Check, type Expected } from './world';

/** What the targets must hold of the business registration system's dossiers (sources/business-registration.md). */
const STATUS: Record<string, number> = {
  DA_NOP: 1,
  DA_TIEP_NHAN: 2,
  TU_CHOI: 3,
  DANG_XU_LY: 4,
  YEU_CAU_BO_SUNG: 5,
  RUT_HO_SO: 7,
  DUNG_XU_LY: 8,
  DA_CAP_GCN: 9,
  DA_TRA_KET_QUA: 10,
};
const CHANNEL: Record<string, number> = { TRUC_TIEP: 1, TRUC_TUYEN: 2, BUU_CHINH: 3 };

export function checkBusiness(sandbox: RunningSandbox): Check {
  const expected = sandbox.business.sim.state.dossiers().map((src): Expected | { code: string; notHeld: string } => {
    if (!Object.hasOwn(BUSINESS_PROCEDURES, src.MaTTHC)) return { code: src.MaHoSo, notHeld: 'unmapped' };
    if (!src.NgayTiepNhan) return { code: src.MaHoSo, notHeld: 'not received' };
    const national = BUSINESS_PROCEDURES[src.MaTTHC]!;
    const catalog = NATIONAL_CATALOG[national]!;
    const status = STATUS[src.TrangThai]!;
    const household = src.LoaiHoSo.startsWith('HKD_');
    const ownerName = (household ? src.HoKinhDoanh!.TenHoKinhDoanh : src.DoanhNghiep!.TenTiengViet).normalize('NFC').trim();
    const ownerCode = household ? src.HoKinhDoanh!.MaSoHKD : src.DoanhNghiep!.MaSoDoanhNghiep;
    const received = vnTimes(Date.parse(src.NgayTiepNhan));
    return {
      code: src.MaHoSo,
      steps: src.LichSuXuLy.map((b) => `${epochSecond(b.ThoiDiem)}|${STATUS[b.TrangThai]}`),
      stepContents: src.LichSuXuLy.map((b) => b.NoiDung.normalize('NFC')),
      province: { TrangThai: status, MaTTHC: national, NgayTiepNhan: received.province, LoaiDoiTuong: household ? 2 : 1, KenhThucHien: CHANNEL[src.KenhNop] },
      portal: {
        MaTTHC: national,
        TenTTHC: catalog.name,
        MaLinhVuc: catalog.sectorCode,
        TrangThaiHoSo: String(status),
        KenhThucHien: String(CHANNEL[src.KenhNop]),
        ChuHoSo: ownerName,
        LoaiDoiTuong: '2',
        TrichYeuHoSo: `${catalog.name} - ${ownerName}`,
        SoGiayToChuHoSo: ownerCode ?? '',
        DinhDanhCHS: !household && ownerCode ? [{ LoaiDinhDanh: '3', SoDinhDanh: ownerCode }] : [],
        NgayTiepNhan: received.compact,
        NgayHenTra: src.NgayHenTra ? vnTimes(Date.parse(src.NgayHenTra)).compact : '',
      },
      portalCheck(n) {
        const problems: string[] = [];
        const fees = (n['DanhSachLePhi'] as Record<string, unknown>[]).map((f) => `${f['TenPhiLePhi']}|${f['Gia']}`);
        const wantedFees = src.LePhi.map((f) => `${f.Ten.normalize('NFC')}|${f.SoTien}`);
        if (fees.join(',') !== wantedFees.join(',')) problems.push(`portal fees [${fees.join(', ')}] instead of [${wantedFees.join(', ')}]`);
        const results = (n['DanhSachGiayToKetQua'] as Record<string, unknown>[]).map((d) => d['DuongDanTepTinKetQua']);
        const wantedResults = src.KetQua.flatMap((k) => (k.DuongDan ? [k.DuongDan] : []));
        if (results.join(',') !== wantedResults.join(',')) problems.push(`portal results [${results.join(', ')}] instead of [${wantedResults.join(', ')}]`);
        if (status === 10 && !/^\d{14}$/.test(String(n['NgayTra']))) problems.push('portal has no NgayTra for a delivered result');
        return problems;
      },
    };
  });
  return checkSource(sandbox, 'business-registration', expected);
}
