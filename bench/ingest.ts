import autocannon from 'autocannon';
import { BENCH_SECURITY_CODE } from './ingest-server';
import { startChild } from './lib';

/**
 * Ingest: land callbacks accepted durably per second at 64 concurrent senders, against the ceiling
 * of a route on the same server that parses the callback and answers without storing. Each dossier
 * gets a reception and three processing steps, every body distinct (a repeated body would take
 * the cheaper "already stored" path).
 */
export interface IngestFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

let serial = 0;

function body(n: number, run: string): { event: string; json: string } {
  const dossier = Math.floor(n / 4);
  const code = `BENCH-${run}-${String(dossier).padStart(7, '0')}`;
  const minute = String(n % 60).padStart(2, '0');
  if (n % 4 === 0) {
    return {
      event: 'TiepNhanHoSo',
      json: JSON.stringify({
        SoBienNhan: code,
        MaHoSoMotCua: null,
        NguoiTiepNhan: 'Lê Thị Hoa',
        NgayTiepNhan: `2026-03-02T01:${minute}:00`,
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
      }),
    };
  }
  return {
    event: 'ChuyenHoSo',
    json: JSON.stringify({
      SoBienNhan: code,
      MaCanBoChuyen: 'hoalt',
      MaCanBoNhan: 'tuanpv',
      MaTrangThai: 'THAM_DINH',
      NoiDungXuLy: `Chuyển bước ${n % 4}`,
      NgayChuyen: `2026-03-0${2 + (n % 4)}T02:${minute}:00`,
      HanXuLy: '2026-03-06T10:00:00',
    }),
  };
}

export async function loadLand(url: string, prefix: 'ingest' | 'ceiling', connections: number, seconds: number): Promise<IngestFigures> {
  const run = `${Date.now().toString(36)}${++serial}`;
  let n = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        setupRequest: (req) => {
          const b = body(n++, run);
          return { ...req, path: `/${prefix}/land/${BENCH_SECURITY_CODE}/${b.event}`, body: b.json };
        },
      },
    ],
  });
  return { perSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.non2xx };
}

/** One round: a fresh server, a warm-up, then the ceiling and the durable route back to back. */
export async function ingestRound(options: { connections: number; seconds: number }) {
  const server = await startChild<{ url: string }>('ingest-server.ts');
  try {
    await loadLand(server.info.url, 'ingest', options.connections, 2);
    const ceiling = await loadLand(server.info.url, 'ceiling', options.connections, options.seconds);
    const durable = await loadLand(server.info.url, 'ingest', options.connections, options.seconds);
    return { durable, ceiling, ratio: durable.perSecond / ceiling.perSecond, serverPeakRssMb: server.peakRssMb() };
  } finally {
    await server.stop();
  }
}
