// Vietnamese is the source catalogue: its shape is the type every other language follows.
// Keep text in Unicode NFC (precomposed diacritics), as the rest of the IOC stores it.
export const vi = {
  productName: 'Trung tâm điều hành thông minh (IOC)',
  productTagline: 'Giám sát, điều hành tập trung cấp tỉnh',
  language: {
    label: 'Ngôn ngữ',
    vi: 'Tiếng Việt',
    en: 'English',
  },
  session: {
    checking: 'Đang kiểm tra phiên đăng nhập…',
    unreachable: 'Không kết nối được tới máy chủ IOC. Kiểm tra kết nối mạng rồi thử lại.',
    retry: 'Thử lại',
    expired: 'Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.',
    signedOut: 'Bạn đã đăng xuất.',
  },
  login: {
    title: 'Đăng nhập',
    subtitle: 'Dành cho cán bộ điều hành và quản trị hệ thống',
    username: 'Tên đăng nhập',
    password: 'Mật khẩu',
    submit: 'Đăng nhập',
    submitting: 'Đang đăng nhập…',
    missingFields: 'Vui lòng nhập tên đăng nhập và mật khẩu.',
    invalidCredentials: 'Tên đăng nhập hoặc mật khẩu không đúng.',
    tooManyAttempts: 'Bạn đã thử quá nhiều lần. Vui lòng đợi một lát rồi thử lại.',
    network: 'Không kết nối được tới máy chủ IOC. Kiểm tra kết nối mạng rồi thử lại.',
    server: (status: number) => `Máy chủ IOC gặp lỗi (mã ${status}). Vui lòng thử lại sau.`,
  },
  header: {
    signedInAs: 'Người dùng',
    logout: 'Đăng xuất',
    timeZone: 'Giờ Việt Nam (GMT+7)',
    roles: {
      admin: 'Quản trị hệ thống',
      'ioc-operator': 'Điều hành viên IOC',
      'room-operator': 'Điều hành viên phòng điều hành (OC)',
      viewer: 'Người xem',
      service: 'Tài khoản dịch vụ',
    },
  },
  status: {
    title: 'Tình trạng hệ thống',
    up: 'Trực tuyến',
    down: 'Mất kết nối',
    loading: 'Đang tải tình trạng hệ thống…',
    allUp: 'Mọi thành phần hoạt động bình thường',
    stale: 'Tình trạng chưa được cập nhật',
    someDown: (count: number) => `${count} thành phần mất kết nối`,
    updatedAt: (time: string) => `Cập nhật lúc ${time}`,
    unreachable: (time: string) =>
      `Không nhận được tình trạng từ máy chủ IOC (lần cuối: ${time}). Đang thử lại…`,
    unreachableNever: 'Không nhận được tình trạng từ máy chủ IOC. Đang thử lại…',
    components: {
      influx: 'Cơ sở dữ liệu chuỗi thời gian (InfluxDB)',
      sql: 'Cơ sở dữ liệu quan hệ (SQL)',
      broker: 'Máy chủ MQTT (kết nối thiết bị)',
      media: 'Hội nghị truyền hình (SFU)',
      web: 'Máy chủ web và API',
      ingest: 'Thu nhận dữ liệu (ingest)',
      simulators: 'Bộ mô phỏng (demo)',
    },
  },
  units: {
    title: 'Đơn vị hành chính',
    loading: 'Đang tải danh sách đơn vị…',
    failed: 'Không tải được danh sách đơn vị hành chính.',
    retry: 'Thử lại',
    dataset: (name: string) => `Bộ dữ liệu: ${name}`,
    total: (count: number) => `${count} đơn vị`,
    filter: 'Tìm đơn vị theo tên hoặc mã',
    noMatch: 'Không có đơn vị nào khớp.',
    code: 'Mã',
    // The server's unit types (core/src/units/types.ts).
    types: {
      country: 'Quốc gia',
      province: 'Tỉnh, thành phố',
      district: 'Huyện (trước 7/2025)',
      region: 'Khu vực',
      commune: 'Xã',
      ward: 'Phường',
      'special-zone': 'Đặc khu',
    },
  },
  notFound: {
    title: 'Không tìm thấy trang',
    back: 'Về trang điều hành',
  },
};

export type Messages = typeof vi;
