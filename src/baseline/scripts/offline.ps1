# azure-rdp-guard offline repair (rescue VM), generated from the baseline
#region settings (render-offline.ts replaces this region; these values only let the template parse alone)
$Hive = 'HKLM\BROKENSYSTEM'
$DiskLun = 0
$DiskId = ''
$Attempt = 'template'
$MachineKeysGrants = @()
$BcdCommands = @()
$CrashDump = $false
$Reg = @'
Windows Registry Editor Version 5.00
'@
#endregion
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Results = [Collections.ArrayList]@()
function Add-Result($Id, $Result, $Message) {
  [void]$Results.Add([ordered]@{ id = $Id; result = $Result; message = $Message })
}

# The seam: every native tool, drive-letter and CIM call goes through these few functions, so tests replace
# them (Pester Mock) while production runs them unchanged. Storage cmdlets (Get-Disk, Get-Partition, ...)
# are mocked directly.
function Invoke-Tool([string]$Exe, [string[]]$Arguments) {
  # No stderr redirection: under 'Stop', PowerShell 5.1 turns a native command's stderr into a terminating error.
  $out = & $Exe @Arguments | Out-String
  [pscustomobject]@{ Code = $LASTEXITCODE; Output = "$out".Trim() }
}
function Get-VolumeRoot([string]$Letter) { "$($Letter):" }
function Get-DiskLun([int]$Number) {
  (Get-CimInstance -ClassName Win32_DiskDrive -Filter "Index=$Number").SCSILogicalUnit
}
function Get-FreeDriveLetter {
  $used = @(Get-PSDrive -PSProvider FileSystem | ForEach-Object { $_.Name.ToUpperInvariant() })
  $letter = 'STUVWXYZRQPONMLKJIHG'.ToCharArray() | Where-Object { $used -notcontains [string]$_ } |
    Select-Object -First 1
  if (-not $letter) { throw 'no free drive letter' }
  [string]$letter
}

function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
  $r = Invoke-Tool $Exe $Arguments
  if ($r.Code -ne 0) { throw "$Exe $($Arguments -join ' ') failed (exit $($r.Code)): $($r.Output)" }
  $r
}

# A partition with no drive letter reports [char]0, so test the number, not the character.
function Test-NoLetter($Part) { [int][char]$Part.DriveLetter -eq 0 }

# Gives a partition a drive letter (the Storage API, then mountvol on its volume path for partitions it
# refuses, e.g. an EFI system partition) and returns its root. Partition objects are snapshots that keep
# DriveLetter 0 after a mount, so mounts are remembered.
$Mounted = @{}
function Mount-Partition($Part) {
  if (-not (Test-NoLetter $Part)) { return Get-VolumeRoot ([string]$Part.DriveLetter) }
  $id = "$($Part.DiskNumber)/$($Part.PartitionNumber)"
  if ($Mounted.ContainsKey($id)) { return $Mounted[$id] }
  $letter = Get-FreeDriveLetter
  try {
    $where = @{ DiskNumber = $Part.DiskNumber; PartitionNumber = $Part.PartitionNumber }
    Add-PartitionAccessPath @where -AccessPath "$($letter):\" | Out-Null
  } catch {
    $volume = @($Part.AccessPaths | Where-Object { $_ -like '\\?\Volume*' }) | Select-Object -First 1
    if (-not $volume) { throw "partition $id has no drive letter and no volume path" }
    [void](Invoke-Checked 'mountvol.exe' @("$($letter):", $volume))
  }
  $Mounted[$id] = Get-VolumeRoot $letter
  $Mounted[$id]
}

function Test-HiveLoaded { (Invoke-Tool 'reg.exe' @('query', $Hive)).Code -eq 0 }

function Dismount-Hive {
  foreach ($i in 1..5) {
    if (-not (Test-HiveLoaded)) { return $true }
    [void](Invoke-Tool 'reg.exe' @('unload', $Hive))
    if (-not (Test-HiveLoaded)) { return $true }
    Start-Sleep -Seconds 2
  }
  $false
}

# A REG_DWORD or REG_SZ/REG_MULTI_SZ value as reg.exe query prints it, or $null.
function Get-HiveValue([string]$Key, [string]$Name) {
  $r = Invoke-Tool 'reg.exe' @('query', "$Hive\$Key", '/v', $Name)
  if ($r.Code -ne 0) { return $null }
  $pattern = "^\s*$([regex]::Escape($Name))\s+REG_"
  $line = @($r.Output -split "`r?`n" | Where-Object { $_ -match $pattern }) | Select-Object -First 1
  if (-not $line) { return $null }
  ($line -replace "^\s*$([regex]::Escape($Name))\s+REG_\w+\s*", '').Trim()
}

# What the repair found, reported even when a later step fails.
# diskId is the Azure disk id the caller expects at LUN $DiskLun (echoed, so the caller can bind the report to its
# disk); lun is the LUN of the disk actually found and repaired.
$State = [ordered]@{
  diskId = $DiskId; lun = $null; disk = $null; osVolume = $null; bootStore = $null; controlSets = @(); backup = $null
}

function Invoke-OfflineRepair {
  $state = $Script:State
  # Preflight: every check that can fail runs before the first change to the attached disk.
  # 1. A hive left loaded by an earlier failed run would make `reg load` fail.
  if (Test-HiveLoaded) {
    if (-not (Dismount-Hive)) { throw "$Hive is still loaded from an earlier run and cannot be unloaded" }
    Add-Result 'stale-hive' 'changed' "unloaded $Hive left by an earlier run"
  }
  # 2. Only the disk attached for repair (data disk at LUN $DiskLun, never the rescue VM's own disks).
  $disks = @(Get-Disk | Where-Object { -not $_.IsBoot -and -not $_.IsSystem -and (Get-DiskLun $_.Number) -eq $DiskLun })
  if ($disks.Count -ne 1) { throw "expected one attached data disk at LUN $DiskLun, found $($disks.Count)" }
  $disk = $disks[0]
  $state.disk = [int]$disk.Number
  $state.lun = [int](Get-DiskLun $disk.Number)
  if ($disk.IsOffline) {
    if ("$($disk.OfflineReason)" -match 'Collision') {
      throw "disk $($disk.Number) is offline because its signature collides with a disk of this VM; not rewriting it"
    }
    Set-Disk -Number $disk.Number -IsOffline $false
  }
  if ($disk.IsReadOnly) { Set-Disk -Number $disk.Number -IsReadOnly $false }
  $parts = @(Get-Partition -DiskNumber $disk.Number)
  # 3. The Windows volume, searched on that disk only.
  $basicData = '{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}'
  $data = @($parts | Where-Object { "$($_.Type)" -in @('Basic', 'IFS') -or "$($_.GptType)" -eq $basicData })
  $windows = @($data | Where-Object { Test-Path -LiteralPath "$(Mount-Partition $_)\Windows\System32\config\SYSTEM" })
  if ($windows.Count -ne 1) { throw "expected one Windows volume on disk $($disk.Number), found $($windows.Count)" }
  $os = Mount-Partition $windows[0]
  $state.osVolume = $os
  # 4. The boot store: UEFI (Gen2) on the EFI system partition, BIOS (Gen1) on the active/system partition
  #    or the Windows volume.
  if ($BcdCommands.Count -gt 0) {
    $esp = '{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}'
    $bootParts = @($parts | Where-Object { "$($_.GptType)" -eq $esp -or "$($_.Type)" -eq 'System' -or $_.IsActive })
    $bootParts += $windows[0]
    foreach ($p in $bootParts) {
      $root = Mount-Partition $p
      $store = @("$root\EFI\Microsoft\Boot\BCD", "$root\boot\BCD") | Where-Object { Test-Path -LiteralPath $_ } |
        Select-Object -First 1
      if ($store) { $state.bootStore = $store; break }
    }
    if (-not $state.bootStore) { throw "no BCD store (\EFI\Microsoft\Boot\BCD or \boot\BCD) on disk $($disk.Number)" }
  }
  $hiveFile = "$os\Windows\System32\config\SYSTEM"
  $machineKeys = "$os\ProgramData\Microsoft\Crypto\RSA\MachineKeys"
  if ($MachineKeysGrants.Count -gt 0 -and -not (Test-Path -LiteralPath $machineKeys)) {
    throw "$machineKeys does not exist"
  }
  Add-Result 'find-volume' 'ok' "disk $($disk.Number): Windows on $os, boot store $($state.bootStore)"

  # Backups, all before the first change, on the repaired disk (the rescue VM is deleted afterwards).
  $backup = "$os\ProgramData\azure-rdp-guard\rescue-backup\" + (Get-Date -Format 'yyyyMMdd-HHmmss') + "-$Attempt"
  New-Item -ItemType Directory -Path $backup -Force | Out-Null
  $state.backup = $backup
  foreach ($f in @('SYSTEM', 'SYSTEM.LOG1', 'SYSTEM.LOG2')) {
    $src = "$os\Windows\System32\config\$f"
    if (Test-Path -LiteralPath $src) { Copy-Item -LiteralPath $src -Destination "$backup\$f" }
  }
  if ($state.bootStore) {
    # An offline store is a plain file (bcdedit /export only reads the system store): copy it and its logs.
    Get-ChildItem -LiteralPath (Split-Path -Parent $state.bootStore) -Filter 'BCD*' -File |
      ForEach-Object { Copy-Item -LiteralPath $_.FullName -Destination "$backup\$($_.Name)" }
    if (-not (Test-Path -LiteralPath "$backup\BCD")) { throw "backup of $($state.bootStore) failed" }
  }
  if ($MachineKeysGrants.Count -gt 0) {
    [void](Invoke-Checked 'icacls.exe' @($machineKeys, '/save', "$backup\MachineKeys.acl", '/t', '/c'))
  }

  # The SYSTEM hive: load, import into each control set that exists, always unload.
  [void](Invoke-Checked 'reg.exe' @('load', $Hive, $hiveFile))
  try {
    $current = Get-HiveValue 'Select' 'Current'
    if (-not $current) { throw "$Hive\Select has no Current value: not a SYSTEM hive" }
    $names = @('ControlSet001', 'ControlSet002', ('ControlSet{0:d3}' -f [int]$current)) | Select-Object -Unique
    # Only sets that exist: creating a partial set would break Last Known Good.
    $sets = @($names | Where-Object { (Invoke-Tool 'reg.exe' @('query', "$Hive\$_")).Code -eq 0 })
    $state.controlSets = $sets
    foreach ($cs in $sets) {
      $file = "$backup\baseline-$cs.reg"
      $text = $Reg.Replace('\ControlSet001\', '\' + $cs + '\').Replace('\ControlSet001]', '\' + $cs + ']')
      Set-Content -LiteralPath $file -Value $text -Encoding Unicode
      [void](Invoke-Checked 'reg.exe' @('import', $file))
      Add-Result "registry:$cs" 'changed' "imported $file"
      if ($CrashDump) {
        # A complete dump is written through the page file of the boot volume; Azure puts it on the
        # temporary disk (D:), so without a dedicated dump file nothing is written.
        $paging = Get-HiveValue "$cs\Control\Session Manager\Memory Management" 'PagingFiles'
        if ($paging -notmatch '(^|\\0|\s)(C|\?):\\') {
          $key = "$Hive\$cs\Control\CrashControl"
          $dump = 'C:\DedicatedDump.sys'
          [void](Invoke-Checked 'reg.exe' @('add', $key, '/v', 'DedicatedDumpFile', '/t', 'REG_SZ', '/d', $dump, '/f'))
          Add-Result "crash-dump:$cs" 'changed' "page file '$paging' is not on C:; DedicatedDumpFile=$dump"
        }
      }
    }
  } finally {
    if (-not (Dismount-Hive)) { Add-Result 'unload' 'failed' "could not unload $Hive" }
  }

  if ($MachineKeysGrants.Count -gt 0) {
    [void](Invoke-Checked 'takeown.exe' @('/f', $machineKeys, '/a', '/r', '/d', 'Y'))
    foreach ($g in $MachineKeysGrants) { [void](Invoke-Checked 'icacls.exe' @($machineKeys, '/t', '/c', '/grant', $g)) }
    Add-Result 'machinekeys-acl' 'changed' $machineKeys
  }
  if ($state.bootStore) {
    foreach ($c in $BcdCommands) { [void](Invoke-Checked 'bcdedit.exe' (@('/store', $state.bootStore) + $c)) }
    Add-Result 'serial-console' 'changed' $state.bootStore
  }
}

try {
  Invoke-OfflineRepair | Out-Null
} catch {
  Add-Result 'offline-repair' 'failed' $_.Exception.Message
}
$failed = @($Results | Where-Object { $_.result -eq 'failed' }).Count
$summary = [ordered]@{
  tool = 'azure-rdp-guard'; mode = 'offline'; attempt = $Attempt; failed = $failed; results = $Results
}
foreach ($k in $State.Keys) { $summary[$k] = $State[$k] }
Write-Output ($summary | ConvertTo-Json -Depth 4 -Compress)
exit [int]($failed -gt 0)
