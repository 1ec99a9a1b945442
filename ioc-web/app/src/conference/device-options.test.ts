import { describe, expect, it } from 'vitest';
import { devicePicker } from './device-options';

describe('devicePicker', () => {
  const cameras = [
    { deviceId: 'a', label: 'USB Camera' },
    { deviceId: 'b', label: '' },
  ];

  it('names each device by its label, else by its kind and place', () => {
    expect(devicePicker(cameras, 'b', 'Camera').options).toEqual([
      { deviceId: 'a', label: 'USB Camera' },
      { deviceId: 'b', label: 'Camera 2' },
    ]);
  });

  it('selects the device in use', () => {
    expect(devicePicker(cameras, 'b', 'Camera').selected).toBe('b');
  });

  it('selects nothing when the device in use is not listed (unplugged) or unknown', () => {
    expect(devicePicker(cameras, 'gone', 'Camera').selected).toBe('');
    expect(devicePicker(cameras, null, 'Camera').selected).toBe('');
  });

  it('leaves out entries without an id (no permission yet) and repeated ids', () => {
    const listed = [
      { deviceId: '', label: '' },
      { deviceId: 'a', label: 'Mic' },
      { deviceId: 'a', label: 'Mic' },
    ];
    expect(devicePicker(listed, 'a', 'Microphone')).toEqual({
      options: [{ deviceId: 'a', label: 'Mic' }],
      selected: 'a',
    });
  });
});
