import type { ApiError } from '@ioc/core';

/**
 * The page a browser lands on when an SSO sign-in is refused: it arrives by a redirect from
 * the SSO, so it is a page, not JSON. Bilingual, self-contained (no app needed), and it says
 * what happened and what to do, with the stable code for the administrator.
 */
export function signInRefusedPage(error: ApiError): string {
  const advice = ADVICE[error.code] ?? ADVICE.default;
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Đăng nhập SSO không thành công / SSO sign-in refused</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1b2733;line-height:1.5}
h1{font-size:1.4rem}code{background:#eef2f6;padding:.1rem .3rem;border-radius:3px}
p.en{color:#475569}a{color:#0b5cad}
</style>
</head>
<body>
<h1>Đăng nhập bằng SSO không thành công</h1>
<p>${escapeHtml(advice.vi)}</p>
<p class="en" lang="en">SSO sign-in refused. ${escapeHtml(advice.en)}</p>
<p>Mã lỗi / Error code: <code data-testid="sso-error-code">${escapeHtml(error.code)}</code></p>
<p lang="en"><small>${escapeHtml(error.message)}</small></p>
<p><a href="/login">Quay lại trang đăng nhập / Back to sign-in</a></p>
</body>
</html>
`;
}

const ADVICE: Record<string, { vi: string; en: string }> = {
  OIDC_ROLE_NOT_MAPPED: {
    vi: 'Tài khoản SSO của bạn chưa được cấp quyền sử dụng IOC. Hãy liên hệ quản trị viên để được gán vai trò.',
    en: 'Your SSO account has not been given a role in the IOC. Ask an administrator to grant you one.',
  },
  OIDC_SIGN_IN_EXPIRED: {
    vi: 'Phiên đăng nhập SSO đã hết hạn hoặc không hợp lệ. Hãy đăng nhập lại từ trang đăng nhập của IOC.',
    en: 'The SSO sign-in expired or does not belong to this browser. Start again from the IOC sign-in page.',
  },
  OIDC_CHECK_FAILED: {
    vi: 'Phản hồi từ SSO không vượt qua kiểm tra an toàn. Hãy đăng nhập lại từ trang đăng nhập của IOC.',
    en: 'The answer from the SSO failed a security check. Start again from the IOC sign-in page.',
  },
  USERNAME_TAKEN: {
    vi: 'Tên đăng nhập SSO của bạn trùng với một tài khoản IOC khác. Hãy liên hệ quản trị viên.',
    en: 'Your SSO username already belongs to another IOC account. Ask an administrator.',
  },
  ACCOUNT_DISABLED: {
    vi: 'Tài khoản IOC của bạn đã bị khóa. Hãy liên hệ quản trị viên.',
    en: 'Your IOC account is disabled. Ask an administrator.',
  },
  default: {
    vi: 'Không đăng nhập được bằng SSO. Hãy thử lại hoặc liên hệ quản trị viên.',
    en: 'The sign-in with the SSO did not succeed. Try again or ask an administrator.',
  },
};

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
